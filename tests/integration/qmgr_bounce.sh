# qmgr_bounce.sh - qmgr's requests to the bounce service (played by
# tests/helpers/fake-bounce, which counts the log records it was given) and
# its memory limits:
#   a bounced recipient: one "flush" request with its bounce/ID record, then
#     the message and its logs are removed;
#   delay_warning_time: one "warn" request once the message is old enough,
#     never a second one (the flag in the queue file survives passes);
#   qmgr_message_active_limit = 3 and qmgr_message_recipient_limit = 12
#     (minimum 5): 20 messages and one with 40 recipients, read in slices,
#     are all delivered and the queue ends empty.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/qmgr_lib.sh"

QMGR_WITH_BOUNCE=1
# queue_run_delay = 1s: the periodic run (and its cleanup of idle
# destinations) happens many times during the test.
qmgr_instance qb "delay_warning_time = 2s" "minimal_backoff_time = 100s" "queue_run_delay = 1s" \
    "qmgr_message_active_limit = 3" "qmgr_message_recipient_limit = 12" \
    "qmgr_message_recipient_minimum = 5"

# --- a bounce: flush request, then removed ------------------------------------
send one alice@mx.example.test gone@error.test
check_log "bounce: recipient bounced" "$qid: to=<gone@error.test>.*status=bounced"
check_log "bounce: one flush request with the record" "$qid: fake-bounce: request=flush records=1"
check_log "bounce: removed" "qmgr\[[0-9]+\]: $qid: removed"
checks=$((checks + 1))
if [ -z "$(find_file bounce "$qid")$(find_file deferred "$qid")$(find_file active "$qid")" ]; then
    echo "ok: bounce: queue file and bounce log gone"
else
    echo "FAILED: bounce: something left behind"
    failures=$((failures + 1))
fi

# --- delay warning, once ----------------------------------------------------------
send two alice@mx.example.test slow@retry.test
wqid=$qid
check_log "warn: first attempt deferred" "$wqid: to=<slow@retry.test>.*status=deferred"
sleep 2.5
"$POSTERN" -c "$inst" flush >/dev/null 2>&1
check_log "warn: one warning request" "$wqid: fake-bounce: request=warn records=1"
for _ in $(seq 50); do [ -n "$(find_file deferred "$wqid")" ] && break; sleep 0.1; done
"$POSTERN" -c "$inst" flush >/dev/null 2>&1
for _ in $(seq 100); do
    [ "$(grep -c "$wqid: to=<slow@retry.test>.*status=deferred" "$inst/maillog")" -ge 3 ] && break
    sleep 0.1
done
sleep 0.5
check_status "warn: three attempts, one warning" "3 1" \
    "$(grep -c "$wqid: to=<slow@retry.test>.*status=deferred" "$inst/maillog") $(grep -c "$wqid: fake-bounce: request=warn" "$inst/maillog")"

# --- memory limits: slices and a bounded active queue ------------------------------
rcpts=()
for i in $(seq 40); do rcpts+=("m$i@discard.test"); done
send big alice@mx.example.test "${rcpts[@]}"
bqid=$qid
small=()
for i in $(seq 20); do
    send "s$i" alice@mx.example.test "s$i@discard.test"
    small+=("$qid")
done
check_log "limits: big message removed" "$bqid: removed"
for id in "${small[@]}"; do wait_log 20 "$id: removed" || break; done
checks=$((checks + 1))
n=$(grep -c "$bqid: to=<m[0-9]*@discard.test>.*status=sent" "$inst/maillog")
if [ "$n" = 40 ] && [ "$(grep -c "$bqid: from=.*queue active" "$inst/maillog")" = 1 ]; then
    echo "ok: limits: 40 recipients delivered in slices of one pass"
else
    echo "FAILED: limits: $n of 40 recipients"
    failures=$((failures + 1))
fi
removed=0
for id in "${small[@]}"; do grep -q "$id: removed" "$inst/maillog" && removed=$((removed + 1)); done
check_status "limits: 20 small messages removed" 20 "$removed"
check_status "limits: active queue empty" 0 "$(queue_files active)"
check_no_log "no sanitizer or panic" "panic|fatal|AddressSanitizer|runtime error"

"$POSTERN" -c "$inst" stop >/dev/null 2>&1
finish
