#!/usr/bin/env bash
# master_reload.sh - "postern reload": a service added to master.cf starts
# listening, a removed one is closed, a changed one restarts with the new
# arguments while its listener stays open, children of unchanged services
# exit when idle and their successors read the new main.cf, and a bad
# configuration leaves the running one alone. Duplicate master.cf entries
# get Postfix's warning.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/instance_lib.sh"

# listen_inode PORT: inode of the socket listening on 127.0.0.1:PORT.
listen_inode() {
    awk -v p="$(printf '%04X' "$1")" \
        '$2 == "0100007F:" p && $4 == "0A" { print $10; exit }' /proc/net/tcp
}
pid_of() { echo "$1" | awk '{print $2}'; }
gen_of() { echo "$1" | awk '{print $4}' | tr -d :; }

dir=$(make_instance reload echod)
a=$(free_port)
b=$(free_port)
cat >"$dir/etc/master.cf" <<EOF
127.0.0.1:$a inet n - n - - echod -o max_idle=100
# the same endpoint again: the last entry wins
[127.0.0.1]:$a inet n - n - - echod
EOF
pst "$dir" start
check_status "start" 0 "$status"
check "duplicate entry warning" log_has "$dir" \
    "warning: duplicate master.cf entry for service \"\[127.0.0.1\]:$a\" \(\[127.0.0.1\]:$a\) -- using the last entry\$"
check "b is not listening yet" not_listening "$b"
r1=$(request "$a" one)
inode=$(listen_inode "$a")
check "a answers ($r1)" test -n "$r1"

# --- add b; main.cf: max_use = 1 ------------------------------------------
echo "127.0.0.1:$b inet n - n - - echod" >>"$dir/etc/master.cf"
echo "max_use = 1" >>"$dir/etc/main.cf"
pst "$dir" reload
check_status "reload" 0 "$status"
check "reload: log lines" wait_for 5 log_has "$dir" \
    "postern/master\[$(master_pid "$dir")\]: reload -- version [0-9.]+, configuration $dir/etc\$"
check "reload: refreshing line" log_has "$dir" 'postern-script\[[0-9]+\]: refreshing the postern mail system$'
check "added service listens" wait_for 5 listening "$b"
check "added service answers" test -n "$(request "$b" hi)"
check "idle child of the unchanged service exits" wait_for 5 gone "$(pid_of "$r1")"
check "listener of the unchanged service kept (inode $inode)" test "$(listen_inode "$a")" = "$inode"
r2=$(request "$a" two)
r3=$(request "$a" three)
check "new children have a new generation ($(gen_of "$r1") -> $(gen_of "$r2"))" \
    test "$(gen_of "$r2")" -gt "$(gen_of "$r1")"
check "new children read the new main.cf (max_use 1: $(pid_of "$r2") then $(pid_of "$r3"))" \
    test -n "$r3" -a "$(pid_of "$r2")" != "$(pid_of "$r3")"

# --- rename b to its port only: same endpoint, the listener is kept -------
b_inode=$(listen_inode "$b")
sed -i "s/^127.0.0.1:$b inet/$b inet/" "$dir/etc/master.cf"
pst "$dir" reload
check_status "reload after a rename" 0 "$status"
check "renamed service answers" test -n "$(request "$b" renamed)"
check "renamed service keeps its listener" test "$(listen_inode "$b")" = "$b_inode"
check "rename: no bind error" test "$(log_count "$dir" 'service skipped|bind')" = 0

# --- change a's arguments; remove b ---------------------------------------
cat >"$dir/etc/master.cf" <<EOF
127.0.0.1:$a inet n - n - - echod -o max_use=2
EOF
sed -i '/^max_use = 1$/d' "$dir/etc/main.cf"
pst "$dir" reload
check_status "second reload" 0 "$status"
check "removed service stops listening" wait_for 10 not_listening "$b"
check "changed service keeps its listener" test "$(listen_inode "$a")" = "$inode"
r4=$(request "$a" four)
r5=$(request "$a" five)
r6=$(request "$a" six)
check "changed service runs with its new arguments (max_use 2: $(pid_of "$r4") $(pid_of "$r5") $(pid_of "$r6"))" \
    test -n "$r6" -a "$(pid_of "$r4")" = "$(pid_of "$r5")" -a "$(pid_of "$r5")" != "$(pid_of "$r6")"

# --- a bad main.cf: the master keeps the running configuration ------------
echo "message_size_limit = notanumber" >>"$dir/etc/main.cf"
pst "$dir" reload
check_status "reload with a bad main.cf" 1 "$status"
# The master's own check, without the control command's:
kill -HUP "$(master_pid "$dir")"
check "master refuses the bad configuration" wait_for 5 log_has "$dir" \
    'postern/master\[[0-9]+\]: warning: reload: configuration errors \(see above\); keeping the current configuration$'
check "the reason is logged" log_has "$dir" \
    'postern/master\[[0-9]+\]: fatal: bad numerical configuration: message_size_limit = notanumber$'
pst "$dir" status
check_status "status refuses the bad main.cf too" 1 "$status"
sed -i '/^message_size_limit/d' "$dir/etc/main.cf"
pst "$dir" status
check_status "master still running" 0 "$status"
check "service still answers" test -n "$(request "$a" seven)"

# --- master_service_disable: "name/type" --------------------------------
echo "master_service_disable = 127.0.0.1:$a/inet" >>"$dir/etc/main.cf"
pst "$dir" reload
check_status "reload with master_service_disable" 0 "$status"
check "disabled service closed" wait_for 10 not_listening "$a"
sed -i '/^master_service_disable/d' "$dir/etc/main.cf"
pst "$dir" reload
check "enabled again" wait_for 10 listening "$a"

pids="$(master_pid "$dir") $(children "$dir")"
pst "$dir" stop
check_status "stop" 0 "$status"
check "every process gone after stop" gone $pids
finish
