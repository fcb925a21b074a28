# qmgr_rate.sh - the scheduler's rate delay and concurrency feedback on a
# real instance (qmgr with the error agent under three service names; only
# services of delivery-agent commands get per-transport parameters):
#   slow_destination_rate_delay = 1s: four messages to one destination
#     are delivered at least one second apart (the log spans >= 3 s), and a
#     message to another destination of the same transport is not held
#     behind that destination's pauses;
#   error_destination_concurrency_positive_feedback = 1/concurrency: each
#     success adds 1/window, so the window grows by one after two results
#     (destination_concurrency_feedback_debug lines);
#   retry_destination_concurrency_failed_cohort_limit = 1 with a window of
#     two: the first failed attempt is half a cohort (no suspension), the
#     second suspends the destination, once.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/qmgr_lib.sh"

QMGR_MASTER_EXTRA="slow      unix  -       -       n       -       -       error"
qmgr_instance rate "minimal_backoff_time = 120s" "maximal_backoff_time = 600s" \
    "queue_run_delay = 300s" "destination_concurrency_feedback_debug = yes" \
    "transport_maps = inline:{ { slow.test=slow:5.1.1 slow failure }, { other.test=slow:5.1.1 other failure }, { error.test=error:5.1.1 no such user here }, { retry.test=retry:4.4.1 try again later } }" \
    "slow_destination_rate_delay = 1s" \
    "error_initial_destination_concurrency = 2" \
    "error_destination_concurrency_positive_feedback = 1/concurrency" \
    "retry_initial_destination_concurrency = 2" \
    "retry_destination_concurrency_failed_cohort_limit = 1"

# log_epoch REGEX: the epoch seconds of each matching log line's stamp.
log_epoch() {
    grep -E -- "$1" "$inst/maillog" | while read -r mon day hms _; do
        date -d "$mon $day $hms" +%s
    done
}

# --- destination_rate_delay ----------------------------------------------------
for i in 1 2 3 4; do send "slow$i" alice@mx.example.test "u$i@slow.test"; done
send fast alice@mx.example.test u@other.test
checks=$((checks + 1))
for _ in $(seq 300); do
    [ "$(grep -cE 'to=<u[1-4]@slow.test>.*status=bounced' "$inst/maillog")" = 4 ] && break
    sleep 0.1
done
if [ "$(grep -cE 'to=<u[1-4]@slow.test>.*status=bounced' "$inst/maillog")" = 4 ]; then
    echo "ok: rate delay: four deliveries to slow.test"
else
    echo "FAILED: rate delay: not all four delivered"
    tail -20 "$inst/maillog"
    failures=$((failures + 1))
fi
log_epoch 'to=<u[1-4]@slow.test>.*status=bounced' >"$tmp/slow.times"
span=$(($(tail -1 "$tmp/slow.times") - $(head -1 "$tmp/slow.times")))
checks=$((checks + 1))
if [ "$span" -ge 3 ]; then
    echo "ok: rate delay: four deliveries span ${span}s (1s apart)"
else
    echo "FAILED: rate delay: four deliveries span only ${span}s"
    grep -E 'slow.test' "$inst/maillog"
    failures=$((failures + 1))
fi
# other.test went out before the last slow.test delivery: the pause is
# per destination.
checks=$((checks + 1))
if [ "$(grep -nE 'to=<u@other.test>.*status=bounced' "$inst/maillog" | cut -d: -f1)" -lt \
    "$(grep -nE 'to=<u[1-4]@slow.test>.*status=bounced' "$inst/maillog" | tail -1 | cut -d: -f1)" ]; then
    echo "ok: rate delay: another destination is not held back"
else
    echo "FAILED: rate delay: other.test waited behind slow.test"
    failures=$((failures + 1))
fi
check_no_log "rate delay: no feedback tuning with a rate delay" "feedback .* for 5.1.1 (slow|other) failure"

# --- positive feedback 1/concurrency ---------------------------------------------
send e1 alice@mx.example.test a@error.test
check_log "positive: first result adds 1/2" \
    "qmgr\[[0-9]+\]: error: positive feedback 0.500 for 5.1.1 no such user here: window 2, success 0.500, failure 0.000, failed cohorts 0.000"
send e2 alice@mx.example.test b@error.test
check_log "positive: second result opens the window to 3" \
    "qmgr\[[0-9]+\]: error: positive feedback 0.500 for 5.1.1 no such user here: window 3, success 0.000, failure 0.000, failed cohorts 0.000"

# --- negative feedback and the failed cohort limit --------------------------------
send r1 alice@mx.example.test a@retry.test
check_log "negative: first failure is half a cohort" \
    "qmgr\[[0-9]+\]: retry: negative feedback 1.000 for 4.4.1 try again later: window 1, success 0.000, failure 0.000, failed cohorts 0.500"
check_no_log "negative: not suspended after half a cohort" "destination 4.4.1 try again later is not responding"
send r2 alice@mx.example.test b@retry.test
check_log "negative: suspended after a whole cohort" \
    "qmgr\[[0-9]+\]: retry: destination 4.4.1 try again later is not responding; suspended for 120s: try again later"
checks=$((checks + 1))
if [ "$(grep -c 'destination 4.4.1 try again later is not responding' "$inst/maillog")" = 1 ]; then
    echo "ok: negative: suspended once"
else
    echo "FAILED: negative: suspension logged $(grep -c 'destination 4.4.1 try again later is not responding' "$inst/maillog") times"
    failures=$((failures + 1))
fi

"$POSTERN" -c "$inst" stop >/dev/null 2>&1
finish
