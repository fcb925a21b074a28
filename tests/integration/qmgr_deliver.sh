# qmgr_deliver.sh - qmgr on a real instance with the error, retry and
# discard agents (transport_maps route the test domains to them):
#   discard: delivered and removed, Postfix's log lines, queue empty;
#   error: the bounce log holds the DSN fields; without a bounce service
#     the message waits in deferred/ (nothing is lost) with a warning;
#   retry: deferred with the reason, the next retry time as the file's
#     mtime (minimal_backoff_time), and "postern flush" retries at once;
#   a transport without an agent: deferred, "mail transport unavailable";
#   a message with one recipient per outcome, and a null-sender message
#     past bounce_queue_lifetime (expired, returned to sender);
#   50 recipients in one message batch into local_destination_recipient_limit
#     style requests (default_destination_recipient_limit = 20 -> 3 requests).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/qmgr_lib.sh"

qmgr_instance qd "minimal_backoff_time = 120s" "maximal_backoff_time = 600s" \
    "queue_run_delay = 300s" "bounce_queue_lifetime = 0" "default_destination_recipient_limit = 20"

# --- discard: delivered, logged, removed -------------------------------------
send one alice@mx.example.test user@discard.test
check_status "submit one" 0 "$(grep -q "^status: 0" "$tmp/one.out"; echo $?)"
check_log "discard: queue active line" "qmgr\[[0-9]+\]: $qid: from=<alice@mx.example.test>, size=[0-9]+, nrcpt=1 \(queue active\)"
check_log "discard: delivery line" "discard\[[0-9]+\]: $qid: to=<user@discard.test>, relay=none, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2.0.0, status=sent \(discard.test\)"
check_log "discard: removed" "qmgr\[[0-9]+\]: $qid: removed"
checks=$((checks + 1))
if [ -z "$(find_file active "$qid")$(find_file incoming "$qid")$(find_file deferred "$qid")" ]; then
    echo "ok: discard: queue file gone"
else
    echo "FAILED: discard: queue file still there"
    failures=$((failures + 1))
fi

# --- error: bounce log, no bounce service: kept in deferred --------------------
send two alice@mx.example.test nobody@error.test
check_log "error: delivery line" "error\[[0-9]+\]: $qid: to=<nobody@error.test>, relay=none, .*dsn=5.1.1, status=bounced \(no such user here\)"
check_log "error: no bounce service warning" "$qid: cannot send non-delivery notice: .*message kept in the deferred queue"
blog=$(find_file bounce "$qid")
checks=$((checks + 1))
if [ -n "$blog" ] && grep -q "recipient=nobody@error.test" "$blog" &&
    grep -q "status=5.1.1" "$blog" && grep -q "action=failed" "$blog" &&
    grep -q "reason=no such user here" "$blog"; then
    echo "ok: error: bounce log record"
else
    echo "FAILED: error: bounce log record"
    cat "$blog" 2>/dev/null
    failures=$((failures + 1))
fi
checks=$((checks + 1))
if [ -n "$(find_file deferred "$qid")" ]; then
    echo "ok: error: message kept in deferred"
else
    echo "FAILED: error: message not in deferred"
    failures=$((failures + 1))
fi
check_no_log "error: not removed" "$qid: removed"

# --- retry: deferred with backoff, flush retries at once ---------------------------
send three alice@mx.example.test later@retry.test
rqid=$qid
check_log "retry: delivery line" "error\[[0-9]+\]: $rqid: to=<later@retry.test>, relay=none, .*dsn=4.4.1, status=deferred \(try again later\)"
for _ in $(seq 50); do [ -n "$(find_file deferred "$rqid")" ] && break; sleep 0.1; done
dfile=$(find_file deferred "$rqid")
checks=$((checks + 1))
if [ -n "$dfile" ]; then
    left=$(($(stat -c %Y "$dfile") - $(date +%s)))
    if [ "$left" -ge 100 ] && [ "$left" -le 121 ]; then
        echo "ok: retry: next attempt in ${left}s (minimal_backoff_time)"
    else
        echo "FAILED: retry: next attempt in ${left}s"
        failures=$((failures + 1))
    fi
else
    echo "FAILED: retry: not in deferred"
    failures=$((failures + 1))
fi
dlog=$(find_file defer "$rqid")
checks=$((checks + 1))
if [ -n "$dlog" ] && grep -q "recipient=later@retry.test" "$dlog" && grep -q "action=delayed" "$dlog"; then
    echo "ok: retry: defer log record"
else
    echo "FAILED: retry: defer log record"
    failures=$((failures + 1))
fi
n=$(grep -c "$rqid: from=<alice@mx.example.test>.*queue active" "$inst/maillog")
"$POSTERN" -c "$inst" flush >"$tmp/flush.out" 2>&1
check_status "postern flush" 0 $?
checks=$((checks + 1))
if wait_log 10 "$rqid: from=.*queue active" && for _ in $(seq 100); do
    [ "$(grep -c "$rqid: to=<later@retry.test>.*status=deferred" "$inst/maillog")" -ge 2 ] && break
    sleep 0.1
done && [ "$(grep -c "$rqid: to=<later@retry.test>.*status=deferred" "$inst/maillog")" -ge 2 ]; then
    echo "ok: retry: flush retried at once (attempts before: $n)"
else
    echo "FAILED: retry: no second attempt after flush"
    failures=$((failures + 1))
fi

# --- no agent for the transport ----------------------------------------------------
send four alice@mx.example.test x@noagent.test
check_log "no agent: deferred as unavailable" "$qid: .*connect to transport private/nosuch|mail transport unavailable"
for _ in $(seq 50); do [ -n "$(find_file deferred "$qid")" ] && break; sleep 0.1; done
dlog=$(find_file defer "$qid")
checks=$((checks + 1))
if [ -n "$dlog" ] && grep -q "reason=mail transport unavailable" "$dlog" && grep -q "status=4.3.0" "$dlog"; then
    echo "ok: no agent: defer log says mail transport unavailable"
else
    echo "FAILED: no agent: defer log"
    cat "$dlog" 2>/dev/null
    failures=$((failures + 1))
fi

# A second message for the suspended destination is deferred by qmgr
# itself, without another connection attempt.
send four-b alice@mx.example.test y@noagent.test
check_log "no agent: suspended destination deferred by qmgr" "qmgr\[[0-9]+\]: $qid: to=<y@noagent.test>, relay=none, .*dsn=4.3.0, status=deferred \(delivery temporarily suspended: mail transport unavailable\)"
check_status "no agent: one connection attempt only" 1 "$(grep -c 'connect to transport private/nosuch' "$inst/maillog")"

# --- an agent that dies in the middle of a request ------------------------------
send crash alice@mx.example.test z@crash.test
check_log "crash: the agent read the request" "crashagent: request read"
check_log "crash: deferred by qmgr with 4.3.0" "qmgr\[[0-9]+\]: $qid: to=<z@crash.test>, relay=none, .*dsn=4.3.0, status=deferred \(unknown mail transport error"
for _ in $(seq 50); do [ -n "$(find_file deferred "$qid")" ] && break; sleep 0.1; done
checks=$((checks + 1))
if [ -n "$(find_file deferred "$qid")" ] && [ -z "$(find_file bounce "$qid")" ]; then
    echo "ok: crash: message kept in deferred, nothing bounced"
else
    echo "FAILED: crash: message not kept"
    failures=$((failures + 1))
fi

# --- mixed outcomes in one message --------------------------------------------------
send five bob@mx.example.test a@discard.test b@error.test c@retry.test
check_log "mixed: discard recipient sent" "$qid: to=<a@discard.test>.*status=sent"
check_log "mixed: error recipient bounced" "$qid: to=<b@error.test>.*status=bounced"
check_log "mixed: retry recipient deferred" "$qid: to=<c@retry.test>.*status=deferred"
for _ in $(seq 50); do [ -n "$(find_file deferred "$qid")" ] && break; sleep 0.1; done
checks=$((checks + 1))
if [ -n "$(find_file deferred "$qid")" ] && grep -q "recipient=b@error.test" "$(find_file bounce "$qid")" &&
    ! grep -q "recipient=c@retry.test" "$(find_file bounce "$qid")"; then
    echo "ok: mixed: deferred, bounce log has only the bounced recipient"
else
    echo "FAILED: mixed"
    failures=$((failures + 1))
fi

# --- a null-sender message past bounce_queue_lifetime (0): expired --------------------
send six "" old@retry.test
check_log "expired: returned to sender" "qmgr\[[0-9]+\]: $qid: from=<>, status=expired, returned to sender"
for _ in $(seq 50); do [ -n "$(find_file bounce "$qid")" ] && break; sleep 0.1; done
checks=$((checks + 1))
if grep -q "recipient=old@retry.test.*status=4.4.1.*action=failed" "$(find_file bounce "$qid")" 2>/dev/null; then
    echo "ok: expired: bounce log has the delay reason as a failure"
else
    echo "FAILED: expired: bounce log"
    failures=$((failures + 1))
fi

# --- batching: 50 recipients, recipient limit 20 -> 3 requests ----------------------
rcpts=()
for i in $(seq 50); do rcpts+=("u$i@discard.test"); done
send seven alice@mx.example.test "${rcpts[@]}"
check_log "batch: removed" "$qid: removed"
checks=$((checks + 1))
sent=$(grep -c "discard\[[0-9]*\]: $qid: to=<u[0-9]*@discard.test>.*status=sent" "$inst/maillog")
pids=$(grep "discard\[[0-9]*\]: $qid: to=" "$inst/maillog" | sed 's/.*discard\[\([0-9]*\)\].*/\1/' | sort -u | wc -l)
if [ "$sent" = 50 ]; then
    echo "ok: batch: 50 recipients sent ($pids agent processes)"
else
    echo "FAILED: batch: $sent of 50 recipients sent"
    failures=$((failures + 1))
fi

# --- hold is never touched ------------------------------------------------------------
checks=$((checks + 1))
if [ "$(queue_files hold)" = 0 ] && [ "$(queue_files active)" = 0 ]; then
    echo "ok: active queue empty, hold untouched"
else
    echo "FAILED: active $(queue_files active), hold $(queue_files hold)"
    failures=$((failures + 1))
fi
check_no_log "no sanitizer or panic" "panic|fatal|AddressSanitizer|runtime error"

"$POSTERN" -c "$inst" stop >/dev/null 2>&1
finish
