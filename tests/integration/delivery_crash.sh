# delivery_crash.sh - nothing is lost or doubled when qmgr and the delivery
# agents die: 2,000 messages (one recipient each) flow, a third through the
# SMTP client to smtp-sink (transport_maps "smtp:[127.0.0.1]:PORT"), a third
# to the virtual agent and a third to the local agent (aliases to Maildir
# paths, no system users needed), while qmgr and every smtp, virtual and
# local process are killed with SIGKILL, three rounds each. Afterwards the
# queue must be empty and every message (a unique X-Crash-ID header) must
# have arrived exactly once at its own recipient. The one exception is
# SMTP's own (RFC 1047): a server that stored the message before its client
# died waiting for the 250 gets it again, so relay duplicates are bounded
# by the smtp processes killed. Local and virtual: exactly once.
# CRASH_MESSAGES overrides the count.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/qmgr_lib.sh"

SINK=$top_builddir/src/smtp-sink/smtp-sink
TOTAL=${CRASH_MESSAGES:-2000}
ROUNDS=3
CONC=4
USERS=20
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
sinkpid=""
stop_all() {
    [ -n "$sinkpid" ] && kill "$sinkpid" 2>/dev/null
    [ -n "${inst:-}" ] && "$POSTERN" -c "$inst" stop >/dev/null 2>&1
    rm -rf "$tmp"
}
trap stop_all EXIT

mkdir -p "$tmp/sink.d"
"$SINK" -w "$tmp/sink.port" -d "$tmp/sink.d" -F 127.0.0.1:0 >"$tmp/sink.log" 2>&1 &
sinkpid=$!
for _ in $(seq 50); do [ -s "$tmp/sink.port" ] && break; sleep 0.1; done
port=$(cat "$tmp/sink.port")

inst=$(instance crash)
chmod 755 "$tmp" "$inst"
mkdir -p "$inst/libexec" "$inst/vmail" "$inst/lmail"
for d in master/master cleanup/cleanup qmgr/qmgr smtp/smtp virtual/virtual local/local; do
    ln -s "$top_builddir/daemons/$d" "$inst/libexec/${d#*/}"
done
if [ "$(id -u)" = 0 ]; then
    vuid=42100 vgid=42101 minuid=100
    chown "$vuid:$vgid" "$inst/vmail"
    # Alias deliveries to files run as default_privs.
    chown nobody "$inst/lmail"
else
    vuid=$(id -u) vgid=$(id -g) minuid=1
fi
printf '/^([^@]+)@virt\\.test$/\t${1}/\n' >"$inst/vmailboxes"
printf '/^(l[0-9]+)$/\t%s/${1}/\n' "$inst/lmail" >"$inst/aliases"
{
    echo "compatibility_level = 3.6"
    echo "queue_directory = $inst/spool"
    echo "data_directory = $inst/data"
    echo "daemon_directory = $inst/libexec"
    echo "maillog_file = $inst/maillog"
    echo "maillog_file_prefixes = $tmp"
    echo "myhostname = mx.example.test"
    echo "mydomain = example.test"
    echo "mydestination = mx.example.test"
    echo "alias_maps = regexp:$inst/aliases"
    echo "alias_database ="
    echo "inet_interfaces = 127.0.0.1"
    echo "inet_protocols = ipv4"
    # Deferred mail is retried by the flushes below, not by the clock.
    echo "minimal_backoff_time = 300s"
    echo "maximal_backoff_time = 600s"
    echo "queue_run_delay = 300s"
    echo "service_throttle_time = 1s"
    # A small window keeps requests queued in active/ for the kills to find
    # and bounds what a qmgr kill can repeat.
    echo "default_destination_concurrency_limit = $CONC"
    echo "initial_destination_concurrency = $CONC"
    echo "virtual_mailbox_domains = virt.test"
    echo "virtual_mailbox_base = $inst/vmail"
    echo "virtual_mailbox_maps = regexp:$inst/vmailboxes"
    echo "virtual_uid_maps = static:$vuid"
    echo "virtual_gid_maps = static:$vgid"
    echo "virtual_minimum_uid = $minuid"
    echo "transport_maps = inline:{ relay.test=smtp:[127.0.0.1]:$port, virt.test=virtual: }"
    if [ "$(id -u)" != 0 ]; then
        echo "mail_owner = $(id -un)"
        echo "setgid_group = $(id -gn)"
    fi
} >"$inst/main.cf"
cat >"$inst/master.cf" <<EOF
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
smtp      unix  -       -       n       -       -       smtp
virtual   unix  -       -       n       -       -       virtual
local     unix  -       n       n       -       -       local
EOF
SOCK=$inst/spool/public/cleanup
SPOOL=$inst/spool
"$POSTERN" -c "$inst" start >"$tmp/start.out" 2>&1
check_status "postern start" 0 $?
for _ in $(seq 100); do [ -S "$SOCK" ] && [ -S "$SPOOL/public/qmgr" ] && break; sleep 0.1; done

# children NAME: the master's children running the NAME service.
children() {
    local p c
    ps -o pid=,comm= --ppid "$(tr -d ' ' <"$SPOOL/pid/master.pid")" 2>/dev/null |
        while read -r p c; do [ "$c" = "$1" ] && echo "$p"; done
}

# Message i goes to r<i>@relay.test, v<i mod USERS>@virt.test or
# l<i mod USERS>@mx.example.test (i mod 3 = 1, 2, 0); its X-Crash-ID names
# it.
rcpt_of() {
    case $(($1 % 3)) in
    1) echo "r$1@relay.test" ;;
    2) echo "v$(($1 % USERS))@virt.test" ;;
    *) echo "l$(($1 % USERS))@mx.example.test" ;;
    esac
}
submitters=""
for part in 0 1 2 3; do
    (
        for i in $(seq $((part + 1)) 4 "$TOTAL"); do
            printf 'Subject: crash %s\nX-Crash-ID: <%s@crash.test>\n\nbody %s\n' "$i" "$i" "$i" |
                "$SUBMIT" -f sender@mx.example.test -r "$(rcpt_of "$i")" "$SOCK" 2>/dev/null |
                sed -n 's/^queue_id: //p' >>"$tmp/ids.$part"
        done
    ) &
    submitters="$submitters $!"
done

# Three rounds, each once the flow has made progress: qmgr, then every smtp,
# virtual and local process, with short pauses so requests are in flight.
killed_q=0 killed_s=0 killed_v=0 killed_l=0 round=0
start=$(date +%s)
while [ "$round" -lt "$ROUNDS" ] && [ $(($(date +%s) - start)) -lt 60 ]; do
    sleep 1
    # A request lost with its agent is deferred (for minutes): retry now, so
    # the flow goes on between the rounds.
    "$POSTERN" -c "$inst" flush >/dev/null 2>&1
    sent=$(grep -c 'status=sent' "$inst/maillog" 2>/dev/null)
    [ "${sent:-0}" -gt $((round * TOTAL / (ROUNDS + 2) + 20)) ] || continue
    for p in $(children qmgr); do kill -9 "$p" 2>/dev/null && killed_q=$((killed_q + 1)); done
    sleep 0.3
    for p in $(children smtp); do kill -9 "$p" 2>/dev/null && killed_s=$((killed_s + 1)); done
    sleep 0.3
    for p in $(children virtual); do kill -9 "$p" 2>/dev/null && killed_v=$((killed_v + 1)); done
    sleep 0.3
    for p in $(children local); do kill -9 "$p" 2>/dev/null && killed_l=$((killed_l + 1)); done
    round=$((round + 1))
done
wait $submitters
cat "$tmp"/ids.* >"$tmp/ids"
echo "info: killed qmgr $killed_q, smtp $killed_s, virtual $killed_v, local $killed_l times" \
    "in $round rounds"
check_status "$ROUNDS kill rounds" "$ROUNDS" "$round"
checks=$((checks + 1))
if [ "$killed_q" -ge "$ROUNDS" ] && [ "$killed_s" -ge 1 ] && [ "$killed_v" -ge 1 ] &&
    [ "$killed_l" -ge 1 ]; then
    echo "ok: qmgr, smtp, virtual and local processes were killed"
else
    echo "FAILED: not every kind of process was killed"
    failures=$((failures + 1))
fi
check_status "all $TOTAL submitted" "$TOTAL" "$(sort -u "$tmp/ids" | wc -l)"

# Wake qmgr (it may be between restarts) and retry deferred mail until the
# queue is empty.
for _ in $(seq 300); do
    left=$(($(queue_files incoming) + $(queue_files active) + $(queue_files deferred)))
    [ "$left" = 0 ] && break
    "$POSTERN" -c "$inst" flush >/dev/null 2>&1
    sleep 0.2
done
check_status "queue empty (files left)" 0 "$left"
echo "info: deferred log lines: $(grep -c 'status=deferred' "$inst/maillog")"
echo "info: $(($(date +%s) - start)) s from the first submission to an empty queue"

# Every delivery: "ID RECIPIENT", from the sink's files (the RCPT TO is not
# stored there, and each relay.test message has one recipient) and from the
# Maildirs (Delivered-To). One awk reads them all.
{
    find "$tmp/sink.d" -type f -exec awk '
        FNR == 1 { if (id != "") print id, "r" id "@relay.test"; id = "" }
        id == "" && /^X-Crash-ID: / { id = $2; gsub(/[^0-9]/, "", id) }
        END { if (id != "") print id, "r" id "@relay.test" }' {} +
    find "$inst/vmail" "$inst/lmail" -path '*/new/*' -type f -exec awk '
        FNR == 1 { if (id != "") print id, to; id = ""; to = "" }
        id == "" && /^X-Crash-ID: / { id = $2; gsub(/[^0-9]/, "", id) }
        to == "" && /^Delivered-To: / { to = $2 }
        END { if (id != "") print id, to }' {} +
} | sort | uniq -c >"$tmp/counts"
# The same rule as rcpt_of, for all at once.
awk -v n="$TOTAL" -v u="$USERS" 'BEGIN {
    for (i = 1; i <= n; i++)
        print i, (i % 3 == 1 ? "r" i "@relay.test" : \
                  i % 3 == 2 ? "v" (i % u) "@virt.test" : "l" (i % u) "@mx.example.test") }' |
    sort >"$tmp/want"
awk '{ print $2, $3 }' "$tmp/counts" | sort -u >"$tmp/got"
missing=$(comm -23 "$tmp/want" "$tmp/got" | wc -l)
wrong=$(comm -13 "$tmp/want" "$tmp/got" | wc -l)
dups_relay=$(awk '$1 > 1 && $3 ~ /@relay\.test$/' "$tmp/counts" | wc -l)
dups_other=$(awk '$1 > 1 && $3 !~ /@relay\.test$/' "$tmp/counts" | wc -l)
echo "info: deliveries $(awk '{ s += $1 } END { print s + 0 }' "$tmp/counts") for $TOTAL messages;" \
    "delivered twice or more: $dups_relay relayed, $dups_other local or virtual"
awk '$1 > 1 { print "info: duplicate:", $0 }' "$tmp/counts" | head -20
comm -23 "$tmp/want" "$tmp/got" | head -5 | sed 's/^/missing: /'
comm -13 "$tmp/want" "$tmp/got" | head -5 | sed 's/^/misrouted: /'
check_status "messages missing" 0 "$missing"
check_status "deliveries to a wrong recipient" 0 "$wrong"
# Agents mark each recipient done in the queue file as soon as it is
# delivered, so neither a qmgr kill nor an agent kill repeats a finished
# delivery: local and virtual are exactly once. SMTP keeps its protocol's
# window: smtp-sink stores the message and then says 250; an smtp process
# killed in between never learns it, and the message goes again. At most
# one such duplicate per smtp process killed.
check_status "local or virtual recipients delivered twice" 0 "$dups_other"
checks=$((checks + 1))
if [ "$dups_relay" -le "$killed_s" ]; then
    echo "ok: relayed duplicates $dups_relay, at most one per smtp process killed ($killed_s)"
else
    echo "FAILED: $dups_relay relayed messages delivered more than once (bound $killed_s)"
    failures=$((failures + 1))
fi
grep -E "AddressSanitizer|runtime error|panic" "$inst/maillog" "$tmp/sink.log" | head -5 >"$tmp/bad.log"
check_text "no sanitizer report or panic" "" "$tmp/bad.log"

"$POSTERN" -c "$inst" stop >/dev/null 2>&1
finish
