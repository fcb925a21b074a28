#!/usr/bin/env bash
# master_start_stop.sh - postern start/status/stop/abort/start-fg on a private
# instance, the one-master lock, an inet echo service, and the master's
# restart of a child killed with SIGKILL (DESIGN.md section 3, "Control
# command"; shared/reference/postconf-usage.txt section 10).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/instance_lib.sh"

dir=$(make_instance basic echod)
port=$(free_port)
echo "127.0.0.1:$port inet n - n - - echod" >"$dir/etc/master.cf"

# --- start ---------------------------------------------------------------
pst "$dir" start
check_status "start" 0 "$status"
check "start: master.pid exists when start returns" test -s "$dir/spool/pid/master.pid"
check "start: listener open when start returns" listening "$port"
check "start: log line" log_has "$dir" 'postern/postern-script\[[0-9]+\]: starting the postern mail system$'
check "start: master's start line" \
    log_has "$dir" "postern/master\[$(master_pid "$dir")\]: daemon started -- version [0-9.]+, configuration $dir/etc\$"
check "start: nothing on stderr when it is not a terminal" test ! -s "$tmp/pst.err"
pst "$dir" status
check_status "status while running" 0 "$status"
check "status: log line" log_has "$dir" "the postern mail system is running: PID: $(master_pid "$dir")\$"

pst "$dir" start
check_status "second start" 1 "$status"
check "second start: log line" log_has "$dir" 'postern-script\[[0-9]+\]: fatal: the postern mail system is already running$'
# A second master, started directly, must not run either.
as_owner "$MASTER" -c "$dir/etc" -d >/dev/null 2>&1
check_status "second master" 1 "$?"
check "second master: fatal log line" log_has "$dir" 'postern/master\[[0-9]+\]: fatal: open lock file .*/master.lock: unable to set exclusive lock'

# --- an echo service; kill -9 of its child ---------------------------------
reply=$(request "$port" hello)
check "echo service answers" test -n "$reply"
first=$(echo "$reply" | awk '{print $2}')
case $reply in "pid $first gen "*": hello") ok=1 ;; *) ok=0 ;; esac
check "echo reply format: $reply" test "$ok" = 1
kill -9 "$first"
check "killed child is reaped" wait_for 10 gone "$first"
check "kill -9 logged" wait_for 5 log_has "$dir" "warning: process $dir/libexec/echod pid $first killed by signal 9\$"
reply=$(request "$port" again)
second=$(echo "$reply" | awk '{print $2}')
check "a new child serves the next connection ($first -> $second)" \
    test -n "$second" -a "$second" != "$first"
check "no throttling after a kill of a running child" test "$(log_count "$dir" throttling)" = 0

# --- stop waits for every process -----------------------------------------
pids="$(master_pid "$dir") $(children "$dir")"
check "children exist before stop" test "$(echo $pids | wc -w)" -ge 2
pst "$dir" stop
check_status "stop" 0 "$status"
check "stop returns after every process is gone ($pids)" gone $pids
check "stop: master's last line" log_has "$dir" 'postern/master\[[0-9]+\]: terminating on signal 15$'
check "stop: pid file removed" test ! -e "$dir/spool/pid/master.pid"
check "stop: listener closed" not_listening "$port"
pst "$dir" status
check_status "status after stop" 1 "$status"
check "status: not running log line" log_has "$dir" 'postern-script\[[0-9]+\]: the postern mail system is not running$'
pst "$dir" stop
check_status "stop when not running" 1 "$status"
check "stop: fatal log line" log_has "$dir" 'postern-script\[[0-9]+\]: fatal: the postern mail system is not running$'
pst "$dir" reload
check_status "reload when not running" 1 "$status"
pst "$dir" bogus
check_status "unknown command" 1 "$status"
check "unknown command: log line" log_has "$dir" "fatal: unknown command: 'bogus'. Usage: postern start \(or stop, reload, abort, flush, check, status, set-permissions, start-fg\)\$"

# --- abort: the master goes at once, its children follow ------------------
pst "$dir" start
check_status "start again" 0 "$status"
request "$port" x >/dev/null
pids="$(master_pid "$dir") $(children "$dir")"
pst "$dir" abort
check_status "abort" 0 "$status"
check "abort: every process exits ($pids)" wait_for 10 gone $pids
pst "$dir" status
check_status "status after abort" 1 "$status"

# --- start-fg: the master in the foreground --------------------------------
as_owner "$POSTERN" -c "$dir/etc" start-fg >/dev/null 2>&1 &
fg=$!
check "start-fg: master running" wait_for 10 listening "$port"
# postern execs the master: it is the background job itself, or its child
# when as_owner's subshell stands between them.
mpid=$(master_pid "$dir")
check "start-fg: the master did not detach" \
    test "$mpid" = "$fg" -o "$(ps -o ppid= -p "$mpid" | tr -d ' ')" = "$fg"
pst "$dir" stop
check_status "stop start-fg master" 0 "$status"
wait "$fg"
check_status "start-fg exits 0 after stop" 0 "$?"
finish
