# anvil.sh - the anvil daemon in a real instance, driven by
# tests/helpers/anvil-probe (lib/mail/anvil_client.c and anvil_policy.c,
# exactly what smtpd calls).
#
# Checks: connection counts and rates per (service, client); the count,
# connection rate, message rate and recipient rate limits firing at N+1
# with Postfix's replies and warnings; newtls and auth rates; exempt
# clients never reaching anvil; connections released when a client's
# stream closes, and a disconnect on another stream not taking them; the
# statistics lines every anvil_status_update_time; and fail-open when
# anvil is stopped (a warning, the client allowed, no hang).
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
. "$top_srcdir/tests/integration/lib.sh" || exit 1
. "$top_srcdir/tests/integration/instance_lib.sh" || exit 1

PROBE=$top_builddir/tests/helpers/anvil-probe

dir=$(make_instance anvil anvil)
case $dir in /tmp/*/anvil) ;; *) echo "FAILED: no instance directory"; exit 1 ;; esac
ln -sf "$top_builddir/daemons/anvil/anvil" "$dir/libexec/anvil"
{
    echo "compatibility_level = 3.6"
    echo "anvil_rate_time_unit = 60s"
    echo "anvil_status_update_time = 2s"
} >>"$dir/etc/main.cf"
echo "anvil     unix  -       -       n       -       1       anvil" >"$dir/etc/master.cf"
if [ "$(id -u)" = 0 ]; then chown -R "$run_user:$run_group" "$dir"; fi
SOCK=$dir/spool/private/anvil

pst "$dir" start
check_status "postern start" 0 "$status"
check "anvil socket appears" wait_for 10 test -S "$SOCK"

# probe NAME ARGS...: runs the probe as the instance owner; output in
# $tmp/NAME.out, warnings in $tmp/NAME.err.
probe() {
    local name=$1
    shift
    as_owner timeout 20 "$PROBE" -H mx.example.test "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}
# has NAME TEXT: the probe's output has TEXT as a whole line.
has() { grep -qxF -- "$2" "$tmp/$1.out"; }

# --- counts and the concurrency limit (smtpd_client_connection_count_limit = 2)
probe count -L 2,0,0,0,0,0 "$SOCK" connect smtp 192.0.2.1 connect smtp 192.0.2.1 \
    connect smtp 192.0.2.1 connect submission 192.0.2.1
check "1st connection counted" has count \
    "connect smtp:192.0.2.1 ok count=1 rate=1 message_rate=0 recipient_rate=0 newtls_rate=0 auth_rate=0"
check "2nd connection allowed at the limit" test "$(sed -n 4p "$tmp/count.out")" = allowed
check "3rd connection over the limit: 421" has count \
    "reply: 421 4.7.0 mx.example.test Error: too many connections from 192.0.2.1"
check "3rd connection: concurrency warning" has count \
    "log: warning: Connection concurrency limit exceeded: 3 from unknown[192.0.2.1] for service smtp"
check "another service counts apart" has count \
    "connect submission:192.0.2.1 ok count=1 rate=1 message_rate=0 recipient_rate=0 newtls_rate=0 auth_rate=0"

# The probe exited without disconnecting: anvil released its connections,
# while the rate stays for the rest of the time unit.
probe after "$SOCK" lookup smtp 192.0.2.1
check "connections released when the client stream closed" has after \
    "lookup smtp:192.0.2.1 ok count=0 rate=3 message_rate=0 recipient_rate=0 newtls_rate=0 auth_rate=0"

# --- a disconnect on another stream must not take a live connection away
as_owner timeout 20 "$PROBE" "$SOCK" connect smtp 192.0.2.5 sleep 4000 >"$tmp/holder.out" 2>&1 &
holder=$!
wait_for 5 grep -q "count=1" "$tmp/holder.out"
probe steal "$SOCK" disconnect smtp 192.0.2.5 lookup smtp 192.0.2.5
check "foreign disconnect ignored" grep -q "^lookup smtp:192.0.2.5 ok count=1 " "$tmp/steal.out"
wait "$holder"
probe stolen "$SOCK" lookup smtp 192.0.2.5
check "holder's connection released at its exit" grep -q "^lookup smtp:192.0.2.5 ok count=0 " \
    "$tmp/stolen.out"

# --- connection rate (smtpd_client_connection_rate_limit = 3)
probe rate -L 0,3,0,0,0,0 "$SOCK" connect smtp 192.0.2.2 disconnect smtp 192.0.2.2 \
    connect smtp 192.0.2.2 disconnect smtp 192.0.2.2 connect smtp 192.0.2.2 \
    disconnect smtp 192.0.2.2 connect smtp 192.0.2.2
check "3 connections allowed" test "$(grep -c '^allowed$' "$tmp/rate.out")" = 3
check "4th connection in the time unit: 421" has rate \
    "reply: 421 4.7.0 mx.example.test Error: too many connections from 192.0.2.2"
check "4th connection: rate warning" has rate \
    "log: warning: Connection rate limit exceeded: 4 from unknown[192.0.2.2] for service smtp"
check "disconnects lowered the count" grep -q "^connect smtp:192.0.2.2 ok count=1 rate=4 " \
    "$tmp/rate.out"

# --- message and recipient rates (limits 2 and 3), newtls and auth (1 and 1)
probe events -L 0,0,2,3,1,1 "$SOCK" message smtp 192.0.2.3 message smtp 192.0.2.3 \
    message smtp 192.0.2.3 recipient smtp 192.0.2.3 recipient smtp 192.0.2.3 \
    recipient smtp 192.0.2.3 recipient smtp 192.0.2.3 newtls smtp 192.0.2.3 \
    newtls smtp 192.0.2.3 auth smtp 192.0.2.3 auth smtp 192.0.2.3
check "3rd message: 450 too much mail" has events \
    "reply: 450 4.7.1 Error: too much mail from 192.0.2.3"
check "message warning" has events \
    "log: warning: Message delivery request rate limit exceeded: 3 from unknown[192.0.2.3] for service smtp"
check "4th recipient: 450 too many recipients" has events \
    "reply: 450 4.7.1 Error: too many recipients from 192.0.2.3"
check "recipient warning" has events \
    "log: warning: Recipient address rate limit exceeded: 4 from unknown[192.0.2.3] for service smtp"
check "2nd new TLS session: 421" has events \
    "reply: 421 4.7.0 mx.example.test Error: too many new TLS sessions from 192.0.2.3"
check "2nd AUTH: 450" has events "reply: 450 4.7.1 Error: too many AUTH commands from 192.0.2.3"
check "exactly 4 refusals, 7 allowed" test \
    "$(grep -c '^reply: ' "$tmp/events.out") $(grep -c '^allowed$' "$tmp/events.out")" = "4 7"
check "all rates in one reply" grep -q \
    "^auth smtp:192.0.2.3 ok count=0 rate=0 message_rate=3 recipient_rate=4 newtls_rate=2 auth_rate=2$" \
    "$tmp/events.out"

# --- exempt clients (smtpd_client_event_limit_exceptions) never reach anvil
probe exempt -L 1,1,1,1,1,1 -x "127.0.0.0/8, [::1]/128" "$SOCK" connect smtp 127.0.0.1 \
    connect smtp 127.0.0.1 connect smtp ::1 connect smtp 192.0.2.4
check "127.0.0.1 exempt" test "$(grep -c '^connect smtp:127.0.0.1 exempt$' "$tmp/exempt.out")" = 2
check "::1 exempt" has exempt "connect smtp:::1 exempt"
check "others limited as usual" has exempt "allowed"
probe exempt2 "$SOCK" lookup smtp 127.0.0.1
check "exempt client not counted" grep -q "^lookup smtp:127.0.0.1 ok count=0 rate=0 " \
    "$tmp/exempt2.out"

# --- statistics every anvil_status_update_time (2s here)
check "statistics: connection rate" wait_for 10 log_has "$dir" \
    "postern/anvil\[[0-9]+\]: statistics: max connection rate 4/60s for \(smtp:192\.0\.2\.2\) at [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}$"
check "statistics: connection count" log_has "$dir" \
    "statistics: max connection count 3 for \(smtp:192\.0\.2\.1\) at "
check "statistics: message rate" log_has "$dir" \
    "statistics: max message rate 3/60s for \(smtp:192\.0\.2\.3\) at "
check "statistics: recipient rate" log_has "$dir" \
    "statistics: max recipient rate 4/60s for \(smtp:192\.0\.2\.3\) at "
check "statistics: cache size" log_has "$dir" "statistics: max cache size [0-9]+ at "
check "anvil logged no warnings" test "$(log_count "$dir" "anvil.*warning")" = 0

# --- idle entries expire: a second instance with a 1 s time unit. After
# three idents go idle, a new one makes the table 1 entry, not 4.
dir2=$(make_instance anvil2 anvil)
ln -sf "$top_builddir/daemons/anvil/anvil" "$dir2/libexec/anvil"
{
    echo "compatibility_level = 3.6"
    echo "anvil_rate_time_unit = 1s"
    echo "anvil_status_update_time = 1s"
} >>"$dir2/etc/main.cf"
echo "anvil     unix  -       -       n       -       1       anvil" >"$dir2/etc/master.cf"
if [ "$(id -u)" = 0 ]; then chown -R "$run_user:$run_group" "$dir2"; fi
SOCK2=$dir2/spool/private/anvil
pst "$dir2" start
check_status "postern start (1 s time unit)" 0 "$status"
check "anvil socket appears (1 s time unit)" wait_for 10 test -S "$SOCK2"
probe fill "$SOCK2" connect smtp 198.51.100.1 message smtp 198.51.100.2 recipient smtp 198.51.100.3
check "three idents counted" test "$(grep -c ' ok ' "$tmp/fill.out")" = 3
check "cache size 3 logged" wait_for 5 log_has "$dir2" "statistics: max cache size 3 at "
sleep 3.5
probe refill "$SOCK2" lookup smtp 198.51.100.1 message smtp 198.51.100.9
check "rates of an idle ident expired" grep -q "^lookup smtp:198.51.100.1 ok count=0 rate=0 " \
    "$tmp/refill.out"
check "idle entries swept: cache size 1" wait_for 5 log_has "$dir2" \
    "statistics: max cache size 1 at "
pst "$dir2" stop

# --- fail open: anvil gone, the client is allowed after one warning, fast
pst "$dir" stop
check_status "postern stop" 0 "$status"
start=$(date +%s)
probe down -t 2000 -r 60000 -L 1,1,1,1,1,1 "$SOCK" connect smtp 192.0.2.1 \
    recipient smtp 192.0.2.1
check "anvil down: connect allowed" has down "connect smtp:192.0.2.1 failed (allowed)"
check "anvil down: recipient allowed" has down "recipient smtp:192.0.2.1 failed (allowed)"
check "anvil down: one warning, naming the socket" \
    test "$(grep -c "warning: connect to $SOCK" "$tmp/down.err")" = 1
check "anvil down: no hang" test $(($(date +%s) - start)) -le 5

finish
