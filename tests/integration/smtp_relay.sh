# smtp_relay.sh - relaying through qmgr and the SMTP client on a real
# instance (master, cleanup, qmgr, smtp, bounce when built), with smtp-sink
# as the next hop via transport_maps "smtp:[127.0.0.1]:PORT":
#   relay.test: sent, Postfix's log line, the sink stores the exact content
#     (dot-stuffing undone, CRLF), queue file removed;
#   later.test: the sink answers 451 -> deferred with the server's reason
#     and a defer log record; the sink recovers, "postern flush" -> sent;
#   bounce.test: the sink answers 550 -> bounced, the bounce log record
#     carries the reply (notice itself: the bounce daemon's tests).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/qmgr_lib.sh"

SINK=$top_builddir/src/smtp-sink/smtp-sink
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
pids=""
stop_all() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    [ -n "${inst:-}" ] && "$POSTERN" -c "$inst" stop >/dev/null 2>&1
    rm -rf "$tmp"
}
trap stop_all EXIT

# sink NAME ADDR:PORT [options]: starts a sink storing into $tmp/NAME.d;
# sets $port and $sinkpid.
sink() {
    local name=$1 where=$2
    shift 2
    mkdir -p "$tmp/$name.d"
    rm -f "$tmp/$name.port"
    "$SINK" -w "$tmp/$name.port" -d "$tmp/$name.d" "$@" "$where" >"$tmp/$name.log" 2>&1 &
    sinkpid=$!
    pids="$pids $sinkpid"
    for _ in $(seq 50); do [ -s "$tmp/$name.port" ] && break; sleep 0.1; done
    port=$(cat "$tmp/$name.port")
}

sink ok 127.0.0.1:0
p_ok=$port
sink later 127.0.0.1:0 -e rcpt:451
p_later=$port
later_pid=$sinkpid
sink bounce 127.0.0.1:0 -e rcpt:550
p_bounce=$port

rm -f "$tmp/rec.port"
/usr/bin/python3 "$top_srcdir/tests/helpers/smtp-recorder.py" -f "$tmp/rec.port" -o "$tmp/rec.rec" \
    -x "PIPELINING,SIZE 1000000,DSN,8BITMIME" >"$tmp/rec.log" 2>&1 &
pids="$pids $!"
for _ in $(seq 50); do [ -s "$tmp/rec.port" ] && break; sleep 0.1; done
p_rec=$(cat "$tmp/rec.port")

inst=$(instance relay)
chmod 755 "$tmp"
mkdir -p "$inst/libexec"
services="master/master cleanup/cleanup qmgr/qmgr smtp/smtp"
[ -x "$top_builddir/daemons/bounce/bounce" ] && services="$services bounce/bounce"
for d in $services; do
    ln -s "$top_builddir/daemons/$d" "$inst/libexec/${d#*/}"
done
{
    echo "compatibility_level = 3.6"
    echo "queue_directory = $inst/spool"
    echo "data_directory = $inst/data"
    echo "daemon_directory = $inst/libexec"
    echo "maillog_file = $inst/maillog"
    echo "maillog_file_prefixes = $tmp"
    echo "myhostname = mx.example.test"
    echo "mydomain = example.test"
    echo "inet_interfaces = 127.0.0.1"
    echo "inet_protocols = ipv4"
    echo "minimal_backoff_time = 300s"
    echo "maximal_backoff_time = 600s"
    echo "queue_run_delay = 300s"
    echo "transport_maps = inline:{ relay.test=smtp:[127.0.0.1]:$p_ok, later.test=smtp:[127.0.0.1]:$p_later, bounce.test=smtp:[127.0.0.1]:$p_bounce, rec.test=smtp:[127.0.0.1]:$p_rec }"
    if [ "$(id -u)" != 0 ]; then
        echo "mail_owner = $(id -un)"
        echo "setgid_group = $(id -gn)"
    fi
} >"$inst/main.cf"
{
    echo "cleanup   unix  n       -       n       -       0       cleanup"
    echo "qmgr      unix  n       -       n       300     1       qmgr"
    echo "smtp      unix  -       -       n       -       -       smtp"
    [ -x "$top_builddir/daemons/bounce/bounce" ] &&
        echo "bounce    unix  -       -       n       -       0       bounce"
} >"$inst/master.cf"
SOCK=$inst/spool/public/cleanup
SPOOL=$inst/spool
"$POSTERN" -c "$inst" start >"$tmp/start.out" 2>&1
check_status "postern start" 0 $?
for _ in $(seq 100); do [ -S "$SOCK" ] && [ -S "$SPOOL/public/qmgr" ] && break; sleep 0.1; done

# submit NAME SENDER RCPT [cleanup-submit options] < content: sets $qid.
submit() {
    local name=$1 sender=$2 rcpt=$3
    shift 3
    "$SUBMIT" -f "$sender" -a rewrite_context=local "$@" -r "$rcpt" "$SOCK" \
        >"$tmp/$name.out" 2>"$tmp/$name.err"
    qid=$(sed -n 's/^queue_id: //p' "$tmp/$name.out")
}

# --- relay.test: sent, exact bytes, removed --------------------------------------
printf 'From: <alice@example.test>\nSubject: relay\n\n.dot line\n..\nlast\n' >"$tmp/m1"
submit m1 alice@example.test user@relay.test <"$tmp/m1"
check_log "relay: sent line" "postern/smtp\[[0-9]+\]: $qid: to=<user@relay.test>, relay=127.0.0.1\[127.0.0.1\]:$p_ok, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2.0.0, status=sent \(250 2.0.0 Ok: queued as [^)]*\)"
check_log "relay: removed" "qmgr\[[0-9]+\]: $qid: removed"
stored=$(ls "$tmp"/ok.d/*.eml 2>/dev/null | head -1)
checks=$((checks + 1))
# cleanup may add headers in front; the submitted lines must follow in CRLF.
sed 's/$/\r/' "$tmp/m1" >"$tmp/m1.crlf"
if [ -n "$stored" ] && tail -c "$(stat -c %s "$tmp/m1.crlf")" "$stored" | cmp -s - "$tmp/m1.crlf"; then
    echo "ok: relay: the sink got the content byte for byte"
else
    echo "FAILED: relay: content at the sink differs"
    cat -A "$stored" 2>/dev/null | head -20
    failures=$((failures + 1))
fi

# --- later.test: 451 -> deferred; the sink recovers; flush -> sent ------------------
printf 'Subject: later\n\nbody\n' >"$tmp/m2"
submit m2 alice@example.test user@later.test <"$tmp/m2"
lqid=$qid
check_log "later: deferred line" "postern/smtp\[[0-9]+\]: $lqid: to=<user@later.test>, relay=127.0.0.1\[127.0.0.1\]:$p_later, .*dsn=4\.[0-9.]+, status=deferred \(host 127.0.0.1\[127.0.0.1\] said: 451 .* \(in reply to RCPT TO command\)\)"
for _ in $(seq 50); do [ -n "$(find_file deferred "$lqid")" ] && break; sleep 0.1; done
checks=$((checks + 1))
dlog=$(find_file defer "$lqid")
if [ -n "$(find_file deferred "$lqid")" ] && [ -n "$dlog" ] &&
    grep -q "reason=host 127.0.0.1\[127.0.0.1\] said: 451" "$dlog"; then
    echo "ok: later: in deferred/, defer log has the reply"
else
    echo "FAILED: later: not deferred with the reason"
    cat "$dlog" 2>/dev/null
    failures=$((failures + 1))
fi
kill "$later_pid" 2>/dev/null
wait "$later_pid" 2>/dev/null
sink later2 "127.0.0.1:$p_later"
"$POSTERN" -c "$inst" flush >"$tmp/flush.out" 2>&1
check_status "postern flush" 0 $?
check_log "later: sent after flush" "postern/smtp\[[0-9]+\]: $lqid: to=<user@later.test>, relay=127.0.0.1\[127.0.0.1\]:$p_later, .*dsn=2.0.0, status=sent"
check_log "later: removed" "qmgr\[[0-9]+\]: $lqid: removed"

# --- bounce.test: 550 -> bounced, bounce log record ------------------------------------
printf 'Subject: bounce\n\nbody\n' >"$tmp/m3"
submit m3 alice@example.test user@bounce.test <"$tmp/m3"
bqid=$qid
check_log "bounce: bounced line" "postern/smtp\[[0-9]+\]: $bqid: to=<user@bounce.test>, relay=127.0.0.1\[127.0.0.1\]:$p_bounce, .*dsn=5\.[0-9.]+, status=bounced \(host 127.0.0.1\[127.0.0.1\] said: 550 .* \(in reply to RCPT TO command\)\)"
checks=$((checks + 1))
found=0 record=""
for _ in $(seq 50); do
    # Read the record at once: the bounce daemon removes the file when the
    # notice is out.
    blog=$(find_file bounce "$bqid")
    [ -n "$blog" ] && record=$(cat "$blog" 2>/dev/null)
    case $record in *recipient=user@bounce.test*) found=1 && break ;; esac
    if grep -Eq "$bqid: sender non-delivery notification|$bqid: removed" "$inst/maillog"; then
        found=2
        break
    fi
    sleep 0.1
done
case $record in *"reason=host 127.0.0.1[127.0.0.1] said: 550"*) ;; *) [ "$found" = 1 ] && found=0 ;; esac
if [ "$found" = 1 ]; then
    echo "ok: bounce: bounce log record has the reply"
elif [ "$found" = 2 ]; then
    echo "ok: bounce: handed to the bounce daemon"
else
    echo "FAILED: bounce: no bounce record"
    echo "$record"
    failures=$((failures + 1))
fi

# --- DSN parameters passed on: RET, ENVID (xtext), NOTIFY, ORCPT ---------------------
printf 'Subject: dsn\n\nbody\n' >"$tmp/m4"
submit m4 alice@example.test "u@rec.test,rfc822;U@rec.test" -e "env+id=1" -R 1 -N 14 <"$tmp/m4"
check_log "dsn: sent" "postern/smtp\[[0-9]+\]: $qid: to=<u@rec.test>, .*status=sent \(250 2.0.0 Ok: queued as REC1\)"
checks=$((checks + 1))
if grep -Eq "^CHUNK b'MAIL FROM:<alice@example.test> SIZE=[0-9]+ RET=FULL ENVID=env\+2Bid\+3D1\\\\r\\\\nRCPT TO:<u@rec.test> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;U@rec.test\\\\r\\\\nDATA\\\\r\\\\n'$" "$tmp/rec.rec"; then
    echo "ok: dsn: RET, ENVID, NOTIFY, ORCPT on the wire, pipelined"
else
    echo "FAILED: dsn: parameters on the wire"
    cat "$tmp/rec.rec"
    failures=$((failures + 1))
fi
check_no_log "no sanitizer, panic or dead child" \
    "panic|fatal|AddressSanitizer|runtime error|exit status [1-9]|killed by signal"
finish
