#!/usr/bin/env bash
# master_check.sh - "postern check" and "set-permissions": the queue and data
# directories with Postfix's modes, repair of a wrong mode, and refusal of a
# bad main.cf or master.cf with Postfix's messages, printed on stderr only
# when it is a terminal (shared/reference/postconf-usage.txt sections 8-10).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/instance_lib.sh"

dir=$(make_instance check echod)
echo "127.0.0.1:$(free_port) inet n - n - - echod" >"$dir/etc/master.cf"
q=$dir/spool

# mode_of PATH: "mode user group" as stat prints them.
mode_of() { stat -c '%a %U %G' "$1"; }

# on_tty CMD...: runs CMD as the instance owner with a terminal as stderr;
# prints what it wrote there (without the terminal's carriage returns).
on_tty() {
    local cmd
    printf -v cmd '%q ' "$@"
    as_owner script -qec "$cmd" /dev/null 2>/dev/null | tr -d '\r'
}

pst "$dir" check
check_status "check on a new instance" 0 "$status"
check "check: quiet when it only creates" test ! -s "$tmp/pst.err" -a "$(log_count "$dir" warning)" = 0
g=$run_group
check "maildrop 1730 owner:group ($(mode_of "$q/maildrop"))" test "$(mode_of "$q/maildrop")" = "1730 $run_user $g"
check "public 0710 owner:group ($(mode_of "$q/public"))" test "$(mode_of "$q/public")" = "710 $run_user $g"
check "pid 0755 ($(mode_of "$q/pid"))" test "$(mode_of "$q/pid" | cut -d' ' -f1)" = 755
for d in private incoming active deferred hold corrupt bounce defer trace flush saved; do
    check "$d 0700 owner ($(mode_of "$q/$d"))" test "$(mode_of "$q/$d" | cut -d' ' -f1-2)" = "700 $run_user"
done
check "data_directory 0700 ($(mode_of "$dir/data"))" test "$(mode_of "$dir/data" | cut -d' ' -f1-2)" = "700 $run_user"

# --- repair ----------------------------------------------------------------
as_owner chmod 777 "$q/public"
as_owner rmdir "$q/active"
pst "$dir" check
check_status "check repairs" 0 "$status"
check "public back to 0710" test "$(mode_of "$q/public" | cut -d' ' -f1)" = 710
check "active recreated" test "$(mode_of "$q/active" | cut -d' ' -f1)" = 700
check "repair logged" log_has "$dir" \
    "postern/postern-script\[[0-9]+\]: warning: changed mode of $q/public from 0777 to 0710\$"
as_owner chmod 755 "$q/private"
pst "$dir" set-permissions
check_status "set-permissions" 0 "$status"
check "set-permissions repairs private" test "$(mode_of "$q/private" | cut -d' ' -f1)" = 700

# --- a bad main.cf ---------------------------------------------------------
cp "$dir/etc/main.cf" "$tmp/main.cf.good"
echo "message_size_limit = notanumber" >>"$dir/etc/main.cf"
pst "$dir" check
check_status "check: bad numerical value" 1 "$status"
check "check: nothing on stderr when it is a pipe" test ! -s "$tmp/pst.err"
if command -v script >/dev/null; then
    out=$(on_tty "$POSTERN" -c "$dir/etc" check)
    check_text "check: the message on a terminal" \
        "$POSTERN: fatal: bad numerical configuration: message_size_limit = notanumber
" <(printf '%s\n' "$out")
    out=$(on_tty "$POSTERN" -c "$dir/etc" start)
    check_text "start: the same message" \
        "$POSTERN: fatal: bad numerical configuration: message_size_limit = notanumber
" <(printf '%s\n' "$out")
fi
pst "$dir" start
check_status "start refuses a bad main.cf" 1 "$status"
check "nothing started" test ! -e "$q/pid/master.pid"
cp "$tmp/main.cf.good" "$dir/etc/main.cf"
echo "default_process_limit = 0" >>"$dir/etc/main.cf"
pst "$dir" check
check_status "check: value below the minimum" 1 "$status"
check "check: minimum message" log_has "$dir" 'fatal: invalid default_process_limit parameter value 0 < 1$'
cp "$tmp/main.cf.good" "$dir/etc/main.cf"
echo "daemon_timeout = 5x" >>"$dir/etc/main.cf"
pst "$dir" check
check_status "check: bad time value" 1 "$status"
check "check: time message" log_has "$dir" 'fatal: parameter daemon_timeout: bad time value or unit: 5x$'
cp "$tmp/main.cf.good" "$dir/etc/main.cf"

# --- a bad master.cf -------------------------------------------------------
cp "$dir/etc/master.cf" "$tmp/master.cf.good"
echo "127.0.0.1:12027 inet n - n - smtpd" >>"$dir/etc/master.cf"
pst "$dir" check
check_status "check: master.cf with too few fields" 1 "$status"
check "check: field count message" log_has "$dir" "fatal: file $dir/etc/master.cf: line 2: bad field count\$"
cp "$tmp/master.cf.good" "$dir/etc/master.cf"
echo "foo bogus n - n - - smtpd" >>"$dir/etc/master.cf"
pst "$dir" start
check_status "start: unknown service type" 1 "$status"
check "start: type message" log_has "$dir" 'fatal: invalid type field "bogus" in "foo bogus n - n - - smtpd"$'
cp "$tmp/master.cf.good" "$dir/etc/master.cf"

# --- maillog_file outside maillog_file_prefixes -----------------------------
if command -v script >/dev/null; then
    sed -i "s|^maillog_file_prefixes = .*|maillog_file_prefixes = /nonexistent|" "$dir/etc/main.cf"
    out=$(on_tty "$POSTERN" -c "$dir/etc" status)
    check "maillog_file outside the prefixes is refused" \
        grep -q "warning: maillog_file \"$dir/maillog\" does not start with any of maillog_file_prefixes (/nonexistent); logging to syslog instead" <<<"$out"
    cp "$tmp/main.cf.good" "$dir/etc/main.cf"
fi
pst "$dir" check
check_status "check after the fixes" 0 "$status"
finish
