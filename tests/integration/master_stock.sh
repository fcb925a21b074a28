#!/usr/bin/env bash
# master_stock.sh - a stock Debian 12 master.cf (fixtures/debian12) starts:
# one warning per service whose program postern does not provide yet, and
# nothing else goes wrong; the one provided program (smtpd, played by the
# test daemon) serves its port; reload does not repeat the warnings.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/instance_lib.sh"

dir=$(make_instance stock smtpd)
port=$(free_port)
sed "s/^smtp      inet /127.0.0.1:$port inet /" "$FIXTURES/debian12/master.cf" >"$dir/etc/master.cf"
# Services that are not smtpd, from the fixture itself.
expected=$(awk '/^[^#[:space:]]/ && $8 != "smtpd" { print $1 }' "$dir/etc/master.cf")
nexpected=$(echo "$expected" | wc -l)
check "the fixture has the stock services ($nexpected besides smtpd)" test "$nexpected" = 30

pst "$dir" check
check_status "check" 0 "$status"
pst "$dir" start
check_status "start" 0 "$status"
skipped='postern/master\[[0-9]+\]: warning: service [^ ]+: program [^ ]+ is not provided by postern; service skipped$'
check "one warning per unprovided service" test "$(log_count "$dir" "$skipped")" = "$nexpected"
for name in $expected; do
    command=$(awk -v n="$name" '$1 == n { print $8; exit }' "$dir/etc/master.cf")
    check "warning for $name ($command)" log_has "$dir" \
        "warning: service $name: program $command is not provided by postern; service skipped\$"
done
others=$(grep -E 'postern/master\[' "$dir/maillog" | grep -E 'warning|error|fatal|panic' | grep -vcE "$skipped")
check "no other warning from the master" test "$others" = 0
check "the provided program serves its port" test -n "$(request "$port" hello)"

pst "$dir" reload
check_status "reload" 0 "$status"
check "reload logged" wait_for 5 log_has "$dir" 'postern/master\[[0-9]+\]: reload -- '
check "reload does not repeat the warnings" test "$(log_count "$dir" "$skipped")" = "$nexpected"
check "still serving after reload" test -n "$(request "$port" again)"

pids="$(master_pid "$dir") $(children "$dir")"
pst "$dir" stop
check_status "stop" 0 "$status"
check "every process gone after stop" gone $pids
finish
