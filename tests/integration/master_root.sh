#!/usr/bin/env bash
# master_root.sh - root mode (DESIGN.md section 1): the master runs as root,
# services marked unprivileged run as mail_owner (nobody here), the queue
# directories get Postfix's owners, and stop still waits for every process.
# Skipped (exit 77) when the test does not run as root.
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: root mode needs root"
    exit 77
fi
RUN_AS_ROOT=1
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/instance_lib.sh"

ROOT_SETGID_GROUP=
for g in mail daemon adm; do
    if getent group "$g" >/dev/null && [ "$(getent group "$g" | cut -d: -f3)" != "$(id -g nobody)" ]; then
        ROOT_SETGID_GROUP=$g
        break
    fi
done
[ -n "$ROOT_SETGID_GROUP" ] || { echo "SKIP: no group for setgid_group"; exit 77; }

dir=$(make_instance root echod)
unpriv=$(free_port)
priv=$(free_port)
cat >"$dir/etc/master.cf" <<EOF
127.0.0.1:$unpriv inet n - n - - echod
127.0.0.1:$priv inet n n n - - echod
EOF
q=$dir/spool
pst "$dir" start
check_status "start as root" 0 "$status"
check "master runs as root" test "$(ps -o user= -p "$(master_pid "$dir")")" = root
r=$(request "$unpriv" hi)
check "unprivileged service answers" test -n "$r"
check "unprivileged child runs as mail_owner" \
    test "$(ps -o user= -p "$(echo "$r" | awk '{print $2}')")" = nobody
r=$(request "$priv" hi)
check "privileged child stays root" test "$(ps -o user= -p "$(echo "$r" | awk '{print $2}')")" = root
check "public: nobody:$ROOT_SETGID_GROUP 0710" test "$(stat -c '%a %U %G' "$q/public")" = "710 nobody $ROOT_SETGID_GROUP"
check "maildrop: nobody:$ROOT_SETGID_GROUP 1730" test "$(stat -c '%a %U %G' "$q/maildrop")" = "1730 nobody $ROOT_SETGID_GROUP"
check "private: nobody 0700" test "$(stat -c '%a %U' "$q/private")" = "700 nobody"
check "pid: root 0755" test "$(stat -c '%a %U' "$q/pid")" = "755 root"
check "data_directory: nobody 0700" test "$(stat -c '%a %U' "$dir/data")" = "700 nobody"

pids="$(master_pid "$dir") $(children "$dir")"
pst "$dir" stop
check_status "stop" 0 "$status"
check "every process gone after stop ($pids)" gone $pids
pst "$dir" status
check_status "status after stop" 1 "$status"

# mail_owner must not be root.
sed -i 's/^mail_owner = .*/mail_owner = root/' "$dir/etc/main.cf"
pst "$dir" check
check_status "check refuses mail_owner = root" 1 "$status"
check "check: privileged user message" log_has "$dir" \
    "fatal: file $dir/etc/main.cf: parameter mail_owner: user root has privileged user ID\$"
sed -i 's/^mail_owner = .*/mail_owner = no-such-user-here/' "$dir/etc/main.cf"
pst "$dir" start
check_status "start refuses an unknown mail_owner" 1 "$status"
check "start: unknown user message" log_has "$dir" \
    "fatal: file $dir/etc/main.cf: parameter mail_owner: unknown user name value: no-such-user-here\$"
finish
