# smtp_direct.sh - the SMTP/LMTP delivery agent (daemons/smtp) driven
# directly with tests/helpers/deliver-request (no qmgr), against smtp-sink:
#   [127.0.0.1]:PORT relay: exact bytes at the sink (dot-stuffing undone by
#     the sink, CRLF), Postfix's log lines and per-recipient results from
#     RCPT replies (550 -> bounced, 451 -> deferred);
#   connection refused -> deferred 4.4.1 "connect to H[A]:P: Connection refused";
#   smtp_fallback_relay used when the nexthop refuses;
#   SIZE too small -> bounced 5.3.4; 5xx greeting skipped -> deferred;
#   long lines folded at smtp_line_length_limit;
#   an address probe (DELIVER_FLAG_VERIFY) stops after RCPT;
#   connection reuse: one smtp process under the master keeps its session
#     for the next request (RSET), and opens a new one after
#     smtp_connection_cache_time_limit;
#   the commands on the wire (tests/helpers/smtp-recorder.py): EHLO name,
#     MAIL+RCPT+DATA in one write with PIPELINING, NOTIFY/ORCPT with DSN,
#     no parameters without the extensions, HELO after a refused EHLO,
#     smtp_bind_address, smtp_data_done_timeout and smtp_rcpt_timeout;
#   LMTP over a unix socket (program named lmtp): one reply per recipient;
#     LMTP to inet:host:port (no MX lookup);
#   MX lookup through tests/helpers/dns-responder.py, in a private network
#   and mount namespace (unshare) whose resolv.conf points at 127.0.0.1:
#   preference order, A fallback, NXDOMAIN bounced 5.4.4, SERVFAIL deferred
#   4.4.3, the backup MX when the primary refuses or answers 4xx at RCPT.
. "$top_srcdir/tests/integration/lib.sh"

# Re-run inside a network + mount namespace so that the system resolver
# (port 53 from resolv.conf) reaches the test's DNS responder.
if [ -z "${SMTP_TEST_NS:-}" ]; then
    ns=""
    if unshare -mn true 2>/dev/null; then
        ns="unshare -mn"
    elif unshare -rmn true 2>/dev/null; then
        ns="unshare -rmn"
    fi
    if [ -n "$ns" ]; then
        rm -rf "$tmp"
        SMTP_TEST_NS=1 exec $ns bash "$0" "$@"
    fi
    SMTP_TEST_NS=none
    echo "note: no namespaces (unshare failed): the MX lookup checks are skipped"
fi
if [ "$SMTP_TEST_NS" = 1 ]; then
    ip link set lo up 2>/dev/null || true
    echo "nameserver 127.0.0.1" >"$tmp/resolv.conf"
    mount --bind "$tmp/resolv.conf" /etc/resolv.conf || SMTP_TEST_NS=none
fi

POSTERN=$top_builddir/src/postern/postern
SUBMIT=$top_builddir/tests/helpers/cleanup-submit
DELIVER=$top_builddir/tests/helpers/deliver-request
DUMP=$top_builddir/tests/helpers/queue-dump
SINK=$top_builddir/src/smtp-sink/smtp-sink
SMTP=$top_builddir/daemons/smtp/smtp
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}

inst=$(instance smtp)
chmod 755 "$tmp" "$inst"
mkdir -p "$inst/libexec"
ln -s "$top_builddir/daemons/master/master" "$inst/libexec/master"
ln -s "$top_builddir/daemons/cleanup/cleanup" "$inst/libexec/cleanup"
ln -s "$SMTP" "$inst/libexec/lmtp"
{
    echo "compatibility_level = 3.6"
    echo "queue_directory = $inst/spool"
    echo "data_directory = $inst/data"
    echo "daemon_directory = $inst/libexec"
    echo "maillog_file = $inst/maillog"
    echo "maillog_file_prefixes = $tmp"
    echo "myhostname = mx.example.test"
    echo "mydomain = example.test"
    echo "inet_protocols = ipv4"
    if [ "$(id -u)" != 0 ]; then
        echo "mail_owner = $(id -un)"
        echo "setgid_group = $(id -gn)"
    fi
} >"$inst/main.cf"
ln -s "$SMTP" "$inst/libexec/smtp"
{
    echo "cleanup   unix  n       -       n       -       0       cleanup"
    echo "smtp      unix  -       -       n       -       1       smtp"
} >"$inst/master.cf"
SOCK=$inst/spool/public/cleanup
"$POSTERN" -c "$inst" start >"$tmp/start.out" 2>&1
check_status "postern start" 0 $?
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done

pids=""
cleanup_all() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    "$POSTERN" -c "$inst" stop >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup_all EXIT

# sink NAME [smtp-sink options]: starts a sink on a free port ($port) that
# stores messages in $tmp/NAME.d.
sink() {
    local name=$1
    shift
    mkdir -p "$tmp/$name.d"
    rm -f "$tmp/$name.port"
    "$SINK" -w "$tmp/$name.port" -d "$tmp/$name.d" "$@" >"$tmp/$name.log" 2>&1 &
    pids="$pids $!"
    sinkpid=$!
    for _ in $(seq 50); do [ -s "$tmp/$name.port" ] && break; sleep 0.1; done
    port=$(cat "$tmp/$name.port")
}
# submit NAME [cleanup-submit options] < content: queues a message ($qid).
submit() {
    local name=$1
    shift
    "$SUBMIT" "$@" "$SOCK" >"$tmp/$name.out" 2>"$tmp/$name.err"
    qid=$(sed -n 's/^queue_id: //p' "$tmp/$name.out")
}
# deliver NAME PROGRAM TRANSPORT NEXTHOP [-o p=v...]: one request for $qid.
deliver() {
    local name=$1 prog=$2 transport=$3 nexthop=$4
    shift 4
    "$DELIVER" -x "$prog" -t "$transport" -n "$nexthop" "$inst/spool" incoming "$qid" -- \
        -c "$inst" "$@" >"$tmp/$name.res" 2>"$tmp/$name.derr"
}
# check_res NAME REGEX: the helper's result lines have a match.
check_res() {
    checks=$((checks + 1))
    if grep -Eq -- "$2" "$tmp/$1.res"; then
        echo "ok: $1: $2"
    else
        echo "FAILED: $1: no result matching $2"
        cat "$tmp/$1.res" "$tmp/$1.derr" | head -20
        failures=$((failures + 1))
    fi
}
check_log() {
    checks=$((checks + 1))
    if grep -Eq -- "$2" "$inst/maillog"; then
        echo "ok: $1"
    else
        echo "FAILED: $1: no log line matching $2"
        tail -10 "$inst/maillog"
        failures=$((failures + 1))
    fi
}

# --- relay to [127.0.0.1]:port: bytes, per-recipient results, log lines ----
sink a -R 'bad*:550' -R 'later*:451' 127.0.0.1:0
pa=$port
printf 'From: <sender@example.test>\nSubject: dots\n\n.leading dot\n..two dots\n.\nend\n' >"$tmp/m1"
submit m1 -f sender@example.test -r good@relay.test -r bad@relay.test -r later@relay.test <"$tmp/m1"
deliver m1 "$SMTP" smtp "[127.0.0.1]:$pa"
check_res m1 "^good@relay.test: status=0 dsn=2.0.0 action=relayed relay=127.0.0.1\[127.0.0.1\]:$pa reason=250 "
check_res m1 "^bad@relay.test: status=2 dsn=5.0.0 action=failed relay=127.0.0.1\[127.0.0.1\]:$pa reason=host 127.0.0.1\[127.0.0.1\] said: 550 5.0.0 <bad@relay.test>: .* \(in reply to RCPT TO command\)"
check_res m1 "^later@relay.test: status=1 dsn=4.0.0 action=delayed .*said: 451 .*\(in reply to RCPT TO command\)"
# With the record offsets (as qmgr sends them), the agent marks the
# recipient the server took done in the queue file at once, and only it.
"$DELIVER" -M -x "$SMTP" -t smtp -n "[127.0.0.1]:$pa" "$inst/spool" incoming "$qid" -- \
    -c "$inst" >"$tmp/m1m.res" 2>"$tmp/m1m.derr"
check_res m1m "^good@relay.test: status=0 dsn=2.0.0 action=relayed"
"$DUMP" "$inst/spool/incoming/$qid" | grep -E '^(done_recipient|recipient):' >"$tmp/m1m.rcpts"
printf '%s\n' "done_recipient: good@relay.test" "recipient: bad@relay.test" \
    "recipient: later@relay.test" >"$tmp/m1m.want"
check_same "m1m: only the relayed recipient is done" "$tmp/m1m.want" "$tmp/m1m.rcpts"
check_log "m1: sent line" "postern/smtp\[[0-9]+\]: $qid: to=<good@relay.test>, relay=127.0.0.1\[127.0.0.1\]:$pa, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2.0.0, status=sent \(250 2.0.0 Ok: queued as [^)]*\)"
check_log "m1: bounced line" "$qid: to=<bad@relay.test>, relay=127.0.0.1\[127.0.0.1\]:$pa, .*status=bounced \(host 127.0.0.1\[127.0.0.1\] said: 550"
check_log "m1: deferred line" "$qid: to=<later@relay.test>, .*status=deferred \(host 127.0.0.1\[127.0.0.1\] said: 451"
sed 's/$/\r/' "$tmp/m1" >"$tmp/m1.crlf"
check_same "m1: exact bytes at the sink" "$tmp/m1.crlf" "$(ls "$tmp"/a.d/*.eml | head -1)"

# --- address verification probe: RCPT replies only, no message -------------------
stored_before=$(ls "$tmp"/a.d | wc -l)
submit probe -f "" -r good@relay.test -r bad@relay.test <"$tmp/m1"
"$DELIVER" -x "$SMTP" -V -t smtp -n "[127.0.0.1]:$pa" "$inst/spool" incoming "$qid" -- -c "$inst" \
    >"$tmp/probe.res" 2>"$tmp/probe.derr"
check_res probe "^good@relay.test: status=0 dsn=2\.[0-9.]+ .*reason=250 "
check_res probe "^bad@relay.test: status=2 dsn=5.0.0 .*said: 550 "
checks=$((checks + 1))
if [ "$(ls "$tmp"/a.d | wc -l)" = "$stored_before" ]; then
    echo "ok: probe: no message was sent"
else
    echo "FAILED: probe: the sink stored a message"
    failures=$((failures + 1))
fi

# --- connection reuse: one smtp process (maxproc 1) under the master ------------
# Two requests in a row share one SMTP session (RSET between them; the sink
# names stored files PID.SESSION.TRANSACTION.eml); after
# smtp_connection_cache_time_limit (2s) a new session is opened.
rm -f "$tmp"/a.d/*.eml
for n in 1 2; do
    submit reuse$n -f sender@example.test -r reuse$n@relay.test <"$tmp/m1"
    "$DELIVER" -s "$inst/spool/private/smtp" -t smtp -n "[127.0.0.1]:$pa" "$inst/spool" incoming \
        "$qid" >"$tmp/reuse$n.res" 2>"$tmp/reuse$n.derr"
    check_res reuse$n "^reuse$n@relay.test: status=0 dsn=2.0.0"
done
sleep 3
submit reuse3 -f sender@example.test -r reuse3@relay.test <"$tmp/m1"
"$DELIVER" -s "$inst/spool/private/smtp" -t smtp -n "[127.0.0.1]:$pa" "$inst/spool" incoming \
    "$qid" >"$tmp/reuse3.res" 2>"$tmp/reuse3.derr"
check_res reuse3 "^reuse3@relay.test: status=0 dsn=2.0.0"
sessions=$(ls "$tmp"/a.d/ | sed 's/^[0-9]*\.\([0-9]*\)\..*/\1/' | sort | uniq -c | awk '{print $1}' | sort | tr '\n' ' ')
checks=$((checks + 1))
if [ "$sessions" = "1 2 " ]; then
    echo "ok: reuse: two messages on one session, a new session after the cache time limit"
else
    echo "FAILED: reuse: messages per session: $sessions"
    ls "$tmp"/a.d/
    failures=$((failures + 1))
fi

# --- connection refused, then the fallback relay ------------------------------
closed=$("$top_builddir/tests/helpers/testd" freeport 2>/dev/null || echo 1)
submit m2 -f sender@example.test -r one@relay.test <"$tmp/m1"
deliver m2 "$SMTP" smtp "[127.0.0.1]:$closed"
check_res m2 "^one@relay.test: status=1 dsn=4.4.1 action=delayed relay=none reason=connect to 127.0.0.1\[127.0.0.1\]:$closed: Connection refused$"
check_log "m2: deferred line" "$qid: to=<one@relay.test>, relay=none, .*dsn=4.4.1, status=deferred \(connect to 127.0.0.1\[127.0.0.1\]:$closed: Connection refused\)"
deliver m2b "$SMTP" smtp "[127.0.0.1]:$closed" -o "smtp_fallback_relay=[127.0.0.1]:$pa"
check_res m2b "^one@relay.test: status=0 dsn=2.0.0 .*relay=127.0.0.1\[127.0.0.1\]:$pa"

# --- SIZE too small: bounced before MAIL ---------------------------------------
sink small -S 20 127.0.0.1:0
submit m3 -f sender@example.test -r big@relay.test <"$tmp/m1"
deliver m3 "$SMTP" smtp "[127.0.0.1]:$port"
check_res m3 "^big@relay.test: status=2 dsn=5.3.4 action=failed .*reason=message size [0-9]+ exceeds size limit 20 of server 127.0.0.1\[127.0.0.1\]"

# --- 5xx greeting: skipped (smtp_skip_5xx_greeting = yes) -> deferred ----------
sink grumpy -e greeting:554 127.0.0.1:0
submit m4 -f sender@example.test -r x@relay.test <"$tmp/m1"
deliver m4 "$SMTP" smtp "[127.0.0.1]:$port"
check_res m4 "^x@relay.test: status=1 dsn=4\.[0-9.]+ .*reason=host 127.0.0.1\[127.0.0.1\] refused to talk to me: 554"
deliver m4b "$SMTP" smtp "[127.0.0.1]:$port" -o smtp_skip_5xx_greeting=no
check_res m4b "^x@relay.test: status=2 dsn=5\.[0-9.]+ .*refused to talk to me: 554"

# --- a long line is folded at smtp_line_length_limit ------------------------------
long=$(head -c 1500 /dev/zero | tr '\0' 'x')
printf 'Subject: long\n\n%s\n' "$long" >"$tmp/m5"
submit m5 -f sender@example.test -r long@relay.test <"$tmp/m5"
rm -f "$tmp"/a.d/*.eml
deliver m5 "$SMTP" smtp "[127.0.0.1]:$pa"
check_res m5 "^long@relay.test: status=0"
printf 'Subject: long\r\n\r\n%s\r\n %s\r\n' "$(head -c 998 /dev/zero | tr '\0' 'x')" \
    "$(head -c 502 /dev/zero | tr '\0' 'x')" >"$tmp/m5.want"
check_same "m5: line folded at 998" "$tmp/m5.want" "$(ls "$tmp"/a.d/*.eml | head -1)"

# --- LMTP on a unix socket: one reply per recipient -------------------------------
sink lmtp -L -R 'nouser*:550' "unix:$tmp/lmtp.sock"
submit m6 -f sender@example.test -r u1@lmtp.test -r nouser@lmtp.test -r u2@lmtp.test <"$tmp/m1"
deliver m6 "$inst/libexec/lmtp" lmtp "unix:$tmp/lmtp.sock"
check_res m6 "^u1@lmtp.test: status=0 dsn=2.0.0 .*relay=mx.example.test\[$tmp/lmtp.sock\]"
check_res m6 "^u2@lmtp.test: status=0 dsn=2.0.0"
check_res m6 "^nouser@lmtp.test: status=2 dsn=5.0.0 .*said: 550 .*\(in reply to RCPT TO command\)"
check_log "m6: lmtp log line" "postern/lmtp\[[0-9]+\]: $qid: to=<u1@lmtp.test>, relay=mx.example.test\[$tmp/lmtp.sock\], .*status=sent"
check_same "m6: exact bytes at the LMTP sink" "$tmp/m1.crlf" "$(ls "$tmp"/lmtp.d/*.eml | head -1)"
sink lmtptcp -L 127.0.0.1:0
deliver m6b "$inst/libexec/lmtp" lmtp "inet:127.0.0.1:$port"
check_res m6b "^u2@lmtp.test: status=0 dsn=2.0.0 .*relay=127.0.0.1\[127.0.0.1\]:$port "

# --- the commands on the wire (tests/helpers/smtp-recorder.py) ----------------------
# recorder NAME [options]: a scripted server recording what it receives.
recorder() {
    local name=$1
    shift
    rm -f "$tmp/$name.port"
    /usr/bin/python3 "$top_srcdir/tests/helpers/smtp-recorder.py" -f "$tmp/$name.port" \
        -o "$tmp/$name.rec" "$@" >"$tmp/$name.log" 2>&1 &
    pids="$pids $!"
    for _ in $(seq 50); do [ -s "$tmp/$name.port" ] && break; sleep 0.1; done
    port=$(cat "$tmp/$name.port")
}
check_rec() {
    checks=$((checks + 1))
    if grep -Eq -- "$2" "$tmp/$1.rec"; then
        echo "ok: $1: $3"
    else
        echo "FAILED: $1: $3: no chunk matching $2"
        head -20 "$tmp/$1.rec"
        failures=$((failures + 1))
    fi
}
submit m8 -f sender@example.test -N 6 -r "r1@rec.test,rfc822;R1@rec.test" \
    -N 0 -r r2@rec.test <"$tmp/m1"
recorder pipe -x "PIPELINING,SIZE 1000000,DSN,8BITMIME,STARTTLS,AUTH PLAIN LOGIN"
deliver m8 "$SMTP" smtp "[127.0.0.1]:$port"
check_res m8 "^r1@rec.test: status=0 dsn=2.0.0 .*reason=250 2.0.0 Ok: queued as REC1"
check_rec pipe "^CHUNK b'EHLO mx.example.test\\\\r\\\\n'$" "EHLO with myhostname"
# (RET and ENVID: smtp_relay.sh, where qmgr builds the request.)
check_rec pipe "^CHUNK b'MAIL FROM:<sender@example.test> SIZE=[0-9]+\\\\r\\\\nRCPT TO:<r1@rec.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;R1@rec.test\\\\r\\\\nRCPT TO:<r2@rec.test>\\\\r\\\\nDATA\\\\r\\\\n'$" \
    "MAIL, RCPTs and DATA in one write, with the DSN parameters"
check_rec pipe "^CHUNK b'QUIT\\\\r\\\\n'$" "QUIT"
recorder plain
deliver m8b "$SMTP" smtp "[127.0.0.1]:$port"
check_res m8b "^r2@rec.test: status=0 dsn=2.0.0"
check_rec plain "^CHUNK b'MAIL FROM:<sender@example.test>\\\\r\\\\n'$" \
    "no PIPELINING, SIZE or DSN offered: MAIL alone, without parameters"
check_rec plain "^CHUNK b'RCPT TO:<r1@rec.test>\\\\r\\\\n'$" "no DSN: RCPT without NOTIFY/ORCPT"
recorder old --no-ehlo
deliver m8c "$SMTP" smtp "[127.0.0.1]:$port"
check_res m8c "^r1@rec.test: status=0 dsn=2.0.0"
check_rec old "^CHUNK b'HELO mx.example.test\\\\r\\\\n'$" "EHLO refused: HELO fallback"
recorder bind
deliver m8f "$SMTP" smtp "[127.0.0.1]:$port" -o smtp_bind_address=127.0.0.2
check_res m8f "^r1@rec.test: status=0 dsn=2.0.0"
check_rec bind "^PEER 127.0.0.2$" "smtp_bind_address is the source address"
recorder hang --hang dot
deliver m8d "$SMTP" smtp "[127.0.0.1]:$port" -o smtp_data_done_timeout=1s
check_res m8d "^r1@rec.test: status=1 dsn=4.4.2 .*reason=conversation with 127.0.0.1\[127.0.0.1\] timed out while sending end of data -- message may be sent more than once"
recorder hangrcpt --hang rcpt
deliver m8e "$SMTP" smtp "[127.0.0.1]:$port" -o smtp_rcpt_timeout=1s
check_res m8e "^r2@rec.test: status=1 dsn=4.4.2 .*reason=conversation with 127.0.0.1\[127.0.0.1\] timed out while sending RCPT TO"

# --- MX lookup through the test DNS server --------------------------------------------
if [ "$SMTP_TEST_NS" = 1 ]; then
    /usr/bin/python3 "$top_srcdir/tests/helpers/dns-responder.py" -p 53 -f "$tmp/dns.port" \
        "relay.test MX 20 backup.relay.test" "relay.test MX 10 primary.relay.test" \
        "primary.relay.test A 127.0.0.1" "backup.relay.test A 127.0.0.2" \
        "nomx.test A 127.0.0.1" "broken.test SERVFAIL" >"$tmp/dns.log" 2>&1 &
    pids="$pids $!"
    for _ in $(seq 50); do [ -s "$tmp/dns.port" ] && break; sleep 0.1; done
    submit m7 -f sender@example.test -r mx@relay.test <"$tmp/m1"
    deliver m7 "$SMTP" smtp "relay.test" -o "smtp_tcp_port=$pa"
    check_res m7 "^mx@relay.test: status=0 dsn=2.0.0 .*relay=primary.relay.test\[127.0.0.1\]:$pa"
    deliver m7b "$SMTP" smtp "nomx.test" -o "smtp_tcp_port=$pa"
    check_res m7b "^mx@relay.test: status=0 .*relay=nomx.test\[127.0.0.1\]:$pa"
    deliver m7c "$SMTP" smtp "nx.test" -o "smtp_tcp_port=$pa"
    check_res m7c "^mx@relay.test: status=2 dsn=5.4.4 .*Host or domain name not found"
    deliver m7d "$SMTP" smtp "broken.test" -o "smtp_tcp_port=$pa"
    check_res m7d "^mx@relay.test: status=1 dsn=4.4.3 "
    # The primary MX refuses: the backup (pref 20, 127.0.0.2) takes it.
    sink backup 127.0.0.2:0
    deliver m7e "$SMTP" smtp "relay.test" -o "smtp_tcp_port=$port"
    check_res m7e "^mx@relay.test: status=0 .*relay=backup.relay.test\[127.0.0.2\]:$port"
    check_log "m7e: primary refused logged" "$qid: connect to primary.relay.test\[127.0.0.1\]:$port: Connection refused"
    # The primary answers 451 to RCPT: the recipient stays open for the
    # backup MX, which takes it; when the backup says 451 too, the message
    # waits with the last server's reason.
    sink grey -e rcpt:451 127.0.0.1:0
    pg=$port
    sink backup2 "127.0.0.2:$pg"
    backup2_pid=$sinkpid
    deliver m7f "$SMTP" smtp "relay.test" -o "smtp_tcp_port=$pg"
    check_res m7f "^mx@relay.test: status=0 .*relay=backup.relay.test\[127.0.0.2\]:$pg"
    kill "$backup2_pid"
    wait "$backup2_pid" 2>/dev/null
    sink backup3 "127.0.0.2:$pg" -e rcpt:452
    deliver m7g "$SMTP" smtp "relay.test" -o "smtp_tcp_port=$pg"
    check_res m7g "^mx@relay.test: status=1 dsn=4\.[0-9.]+ .*relay=backup.relay.test\[127.0.0.2\]:$pg reason=host backup.relay.test\[127.0.0.2\] said: 452 "
fi

checks=$((checks + 1))
# A child of the master that dies (sanitizer reports go to its stderr)
# shows as "process ... exit status" or "killed by signal".
bad="panic|fatal|AddressSanitizer|runtime error|exit status [1-9]|killed by signal"
if grep -Eq "$bad" "$inst/maillog" "$tmp"/*.derr; then
    echo "FAILED: sanitizer, panic or fatal"
    grep -E "$bad" "$inst/maillog" "$tmp"/*.derr | head
    failures=$((failures + 1))
else
    echo "ok: no sanitizer report, panic or fatal"
fi
finish
