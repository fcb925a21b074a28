#!/usr/bin/env bash
# master_restart_queue.sh - "postern stop" then "start" keeps every queued
# message (issue 3): 20 messages wait in deferred/ (their transport defers),
# the instance is stopped and started, every file is still there, and once
# the route is changed (postconf -e, reload) a flush delivers each one
# exactly once and empties the queue.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/qmgr_lib.sh"

POSTCONF=$top_builddir/src/postconf/postconf
qmgr_instance restart "minimal_backoff_time = 300s" "queue_run_delay = 300s"

ids=()
for i in $(seq 20); do
    send "m$i" alice@mx.example.test "user$i@retry.test"
    ids+=("$qid")
done
for _ in $(seq 100); do [ "$(queue_files deferred)" -ge 20 ] && break; sleep 0.1; done
check_text "20 messages deferred before the stop" "20
" <(queue_files deferred)

"$POSTERN" -c "$inst" stop >"$tmp/stop.out" 2>&1
check_status "postern stop" 0 $?
"$POSTERN" -c "$inst" status >/dev/null 2>&1
check_status "postern status after stop" 1 $?
check_text "20 messages still deferred while stopped" "20
" <(queue_files deferred)

"$POSTERN" -c "$inst" start >"$tmp/start2.out" 2>&1
check_status "postern start again" 0 $?
for _ in $(seq 100); do [ -S "$SPOOL/public/qmgr" ] && break; sleep 0.1; done
missing=0
for id in "${ids[@]}"; do
    [ -n "$(find_file deferred "$id")" ] || missing=$((missing + 1))
done
check_text "every deferred message survived the restart" "0
" <(echo "$missing")

# Route the domain to discard now, and ask for an immediate retry.
"$POSTCONF" -c "$inst" -e "transport_maps = inline:{ retry.test=discard: }"
"$POSTERN" -c "$inst" reload >/dev/null 2>&1
check_status "postern reload" 0 $?
sleep 1
"$POSTERN" -c "$inst" flush >/dev/null 2>&1
check_status "postern flush" 0 $?
for _ in $(seq 200); do
    [ "$(grep -c 'status=sent' "$inst/maillog")" -ge 20 ] && [ "$(queue_files deferred)" -eq 0 ] && break
    sleep 0.1
done
dups=0
for id in "${ids[@]}"; do
    n=$(grep -c "discard\[[0-9]*\]: $id: to=<.*status=sent" "$inst/maillog")
    [ "$n" = 1 ] || dups=$((dups + 1))
done
check_text "each message delivered exactly once after the restart" "0
" <(echo "$dups")
check_text "queue empty" "0
" <(echo $(($(queue_files deferred) + $(queue_files active) + $(queue_files incoming))))
"$POSTERN" -c "$inst" stop >/dev/null 2>&1
finish
