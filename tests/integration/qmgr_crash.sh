# qmgr_crash.sh - nothing is lost when qmgr dies: 500 messages flow to the
# discard agent while qmgr is killed with SIGKILL three times (the master
# starts a new one, which takes the files left in active/ first). Afterwards
# every message was delivered (a discard line for its queue ID), the queue
# is empty, and no message was delivered more than twice. A recipient whose
# delivery finished while qmgr was dead (before it could mark it done) is
# delivered again by the next qmgr: at-least-once is the contract, so the
# duplicates are counted and bounded (one per request in flight at a kill),
# not forbidden.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/qmgr_lib.sh"

TOTAL=${QMGR_CRASH_MESSAGES:-500}
KILLS=3
# A low concurrency lets a backlog build up in active/, so that the kills
# find work in flight and queued.
qmgr_instance crash "service_throttle_time = 1s" "default_destination_concurrency_limit = 2" \
    "initial_destination_concurrency = 2"

qmgr_pid() {
    local p
    for p in $(ps -o pid= --ppid "$(tr -d ' ' <"$SPOOL/pid/master.pid")"); do
        case $(ps -o args= -p "$p") in *qmgr*) echo "$p"; return ;; esac
    done
}

: >"$tmp/ids"
submitters=""
for part in 0 1 2 3; do
    (
        for i in $(seq $((part + 1)) 4 "$TOTAL"); do
            printf 'Subject: crash %s\n\nbody %s\n' "$i" "$i" |
                "$SUBMIT" -f sender@mx.example.test -r "r$i@discard.test" "$SOCK" 2>/dev/null |
                sed -n 's/^queue_id: //p' >>"$tmp/ids.$part"
        done
    ) &
    submitters="$submitters $!"
done

kills=0
start=$(date +%s)
while [ "$kills" -lt "$KILLS" ] && [ $(($(date +%s) - start)) -lt 120 ]; do
    sleep 0.7
    pid=$(qmgr_pid)
    if [ -n "$pid" ] && [ "$(grep -c 'status=sent' "$inst/maillog")" -gt $((kills * TOTAL / (KILLS + 1))) ]; then
        kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
    fi
done
wait $submitters
cat "$tmp"/ids.* >"$tmp/ids"
check_status "qmgr killed $KILLS times" "$KILLS" "$kills"

# Wake qmgr (it may be between restarts) until the queue is empty.
for _ in $(seq 600); do
    left=$(($(queue_files incoming) + $(queue_files active) + $(queue_files deferred)))
    [ "$left" = 0 ] && break
    "$POSTERN" -c "$inst" flush >/dev/null 2>&1
    sleep 0.2
done
checks=$((checks + 1))
if [ "$left" = 0 ]; then
    echo "ok: queue empty"
else
    echo "FAILED: $left files still queued"
    failures=$((failures + 1))
fi

submitted=$(sort -u "$tmp/ids" | wc -l)
check_status "all $TOTAL submitted" "$TOTAL" "$submitted"
grep -o 'discard\[[0-9]*\]: [0-9A-Za-z]*: to=<[^>]*>.*status=sent' "$inst/maillog" |
    sed 's/^discard\[[0-9]*\]: \([0-9A-Za-z]*\): .*/\1/' | sort | uniq -c >"$tmp/counts"
missing=0
while read -r id; do
    grep -q " $id\$" "$tmp/counts" || missing=$((missing + 1))
done <"$tmp/ids"
twice=$(awk '$1 == 2' "$tmp/counts" | wc -l)
reopened=$(grep -o 'qmgr\[[0-9]*\]: [0-9A-Za-z]*: from=.*(queue active)' "$inst/maillog" |
    sed 's/^qmgr\[[0-9]*\]: \([0-9A-Za-z]*\): .*/\1/' | sort | uniq -d | wc -l)
echo "info: messages a restarted qmgr took again from active/: $reopened"
more=$(awk '$1 > 2' "$tmp/counts" | wc -l)
check_status "every message delivered (missing)" 0 "$missing"
check_status "none delivered three times or more" 0 "$more"
checks=$((checks + 1))
# A qmgr killed mid-flight can repeat the requests it had running: at most
# its concurrency window (default_destination_concurrency_limit = 2) per kill.
if [ "$twice" -le $((KILLS * 2)) ]; then
    echo "ok: delivered twice after a crash: $twice of $TOTAL (bound $((KILLS * 2)))"
else
    echo "FAILED: $twice messages delivered twice"
    failures=$((failures + 1))
fi
checks=$((checks + 1))
if grep -Eq "AddressSanitizer|runtime error|panic" "$inst/maillog"; then
    echo "FAILED: sanitizer or panic in the log"
    grep -E "AddressSanitizer|runtime error|panic" "$inst/maillog" | head -3
    failures=$((failures + 1))
else
    echo "ok: no sanitizer report or panic"
fi

"$POSTERN" -c "$inst" stop >/dev/null 2>&1
finish
