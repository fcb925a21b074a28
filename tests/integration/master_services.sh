#!/usr/bin/env bash
# master_services.sh - what the master does for its services: process limits
# (maxproc), wakeup triggers, throttling of a program that fails at start,
# a multi-client server, unix-dgram and fifo trigger services, and the
# flush trigger of "postern flush" (shared/reference/postconf-usage.txt 10b).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/instance_lib.sh"

dir=$(make_instance services echod multid triggerd crashd)
echo_port=$(free_port)
crash_port=$(free_port)
multi_port=$(free_port)
cat >"$dir/etc/master.cf" <<EOF
127.0.0.1:$echo_port inet n - n - 2 echod
127.0.0.1:$crash_port inet n - n - - crashd
127.0.0.1:$multi_port inet n - n - 1 multid
tick      unix  -       -       n       1       1       triggerd $dir/tick.out
dgram     unix-dgram n  -       n       1       1       triggerd $dir/dgram.out
fifo      fifo  n       -       n       1       1       triggerd $dir/fifo.out
lazy      unix  n       -       n       1?      1       triggerd $dir/lazy.out
qmgr      unix  n       -       n       -       1       triggerd $dir/qmgr.out
EOF
pst "$dir" flush
check_status "flush before the queue exists" 0 "$status"
pst "$dir" start
check_status "start" 0 "$status"

# --- maxproc 2: a third concurrent client waits for a free process --------
exec 5<>"/dev/tcp/127.0.0.1/$echo_port" 6<>"/dev/tcp/127.0.0.1/$echo_port"
echo one >&5
echo two >&6
IFS= read -r -t 5 r1 <&5
IFS= read -r -t 5 r2 <&6
check "two clients served at once ($r1 / $r2)" test -n "$r1" -a -n "$r2"
exec 7<>"/dev/tcp/127.0.0.1/$echo_port"
echo three >&7
IFS= read -r -t 1 r3 <&7
check "the third client waits while two processes are busy" test -z "$r3"
check "no third process" test "$(count_children "$dir" echod)" = 2
check "process limit warning" wait_for 5 log_has "$dir" \
    "warning: service \"127.0.0.1:$echo_port\" \(\[127.0.0.1\]:$echo_port\) has reached its process limit \"2\": new clients may experience noticeable delays\$"
exec 5>&-
IFS= read -r -t 5 r3 <&7
check "the third client is served once the first leaves ($r3)" test -n "$r3"
check "still no more than two processes" test "$(count_children "$dir" echod)" -le 2
exec 6>&- 7>&-

# --- wakeup: every second; "1?" only once the service was used -----------
check "wakeup triggers arrive every second" wait_for 5 lines_at_least 3 ': W$' "$dir/tick.out"
check "unix-dgram wakeup" wait_for 5 lines_at_least 2 ': W$' "$dir/dgram.out"
check "fifo wakeup" wait_for 5 lines_at_least 2 ': W$' "$dir/fifo.out"
# Not much more than one per second: 2 s later at most 3 (+1 at start) more.
n1=$(grep -c ': W$' "$dir/tick.out")
sleep 2
n2=$(grep -c ': W$' "$dir/tick.out")
check "wakeup period is one second ($n1 -> $n2)" test $((n2 - n1)) -ge 1 -a $((n2 - n1)) -le 4
check "one process for the wakeup service" test "$(count_children "$dir" triggerd)" -ge 1
check "no wakeup for an unused \"1?\" service" test ! -e "$dir/lazy.out"

# A wakeup service is kept running: after kill -9, a new process at once.
tick_pid() { ps -o pid=,args= --ppid "$(master_pid "$dir")" | awk '$2 == "triggerd" && / -n tick / {print $1}'; }
old_tick=$(tick_pid)
check "wakeup service has a process ($old_tick)" test -n "$old_tick"
kill -9 "$old_tick"
check "killed wakeup process replaced without a client" \
    wait_for 5 eval 'new_tick=$(tick_pid); test -n "$new_tick" -a "$new_tick" != "$old_tick"'
check "the new process gets the wakeups" wait_for 5 lines_at_least 1 "^$new_tick: W\$" "$dir/tick.out"

# --- a program that fails before it is ready is throttled -----------------
listening "$crash_port"
check "crash at start: exit status logged" wait_for 5 log_has "$dir" \
    "postern/master\[[0-9]+\]: warning: process $dir/libexec/crashd pid [0-9]+ exit status 1\$"
check "crash at start: throttled" wait_for 5 log_has "$dir" \
    "postern/master\[[0-9]+\]: warning: $dir/libexec/crashd: bad command startup -- throttling\$"
check "crash at start: the program's own fatal line" log_has "$dir" \
    "postern/crashd\[[0-9]+\]: fatal: service 127.0.0.1:$crash_port: crashing at start, as asked\$"
listening "$crash_port"
listening "$crash_port"
sleep 0.5
check "throttled: no restart within service_throttle_time" test "$(log_count "$dir" 'crashd pid')" = 1
check "other services keep working while one is throttled" test -n "$(request "$echo_port" alive)"

# --- a multi-client server: one process, several clients ------------------
exec 5<>"/dev/tcp/127.0.0.1/$multi_port" 6<>"/dev/tcp/127.0.0.1/$multi_port"
echo a >&5
echo b >&6
IFS= read -r -t 5 m1 <&5
IFS= read -r -t 5 m2 <&6
check "multi-client: both clients answered ($m1 / $m2)" test -n "$m1" -a -n "$m2"
check "multi-client: by one process" test "$(echo "$m1" | awk '{print $2}')" = "$(echo "$m2" | awk '{print $2}')"
echo c >&5
IFS= read -r -t 5 m3 <&5
check "multi-client: a second request on a connection" test -n "$m3"
exec 5>&- 6>&-

# --- flush sends "F" to public/qmgr ------------------------------------------
pst "$dir" flush
check_status "flush" 0 "$status"
check "flush trigger reaches qmgr" wait_for 5 lines_at_least 1 ': F$' "$dir/qmgr.out"

pids="$(master_pid "$dir") $(children "$dir")"
pst "$dir" stop
check_status "stop" 0 "$status"
check "every process gone after stop" gone $pids
pst "$dir" flush
check_status "flush while stopped" 1 "$status"
check "flush while stopped: message" log_has "$dir" 'fatal: Cannot flush mail queue - mail system is down$'
finish
