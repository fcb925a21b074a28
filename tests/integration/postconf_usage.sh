#!/usr/bin/env bash
# postconf_usage.sh - postconf's listings, warnings, errors and exit codes on
# the reference instance of shared/reference/postconf-usage.txt (sections 3,
# 5, 7, 8 and 9), with postern's binary in place of /usr/sbin/postconf.
. "$top_srcdir/tests/integration/lib.sh"

ref=$FIXTURES/reference
dir=$(instance postconf)
reset_instance() {
    sed "s|<instances>/postconf|$dir|g" "$ref/main.cf.in" >"$dir/main.cf"
    cp "$ref/master.cf" "$dir/master.cf"
}
pc() { "$POSTCONF" -c "$dir" "$@" >"$tmp/out" 2>"$tmp/err"; status=$?; }
W="$POSTCONF: warning:"
F="$POSTCONF: fatal:"

# --- section 3: single parameters ---------------------------------------
reset_instance
pc myorigin
check_text "name" "myorigin = \$myhostname
" "$tmp/out"
pc -h myorigin
check_text "-h" "\$myhostname
" "$tmp/out"
pc -x myorigin mydestination smtpd_banner relay_domains smtputf8_enable
check_text "-x in argument order" "myorigin = mx.example.test
mydestination = mx.example.test, localhost
smtpd_banner = mx.example.test ESMTP acceptance
relay_domains =
smtputf8_enable = yes
" "$tmp/out"
pc mydestination relay_domains smtputf8_enable append_dot_mydomain mynetworks_style
check_text "compatibility expressions shown raw" "mydestination = \$myhostname, localhost
relay_domains = \${{\$compatibility_level} <level {2} ? {\$mydestination} : {}}
smtputf8_enable = \${{\$compatibility_level} <level {1} ? {no} : {yes}}
append_dot_mydomain = \${{\$compatibility_level} <level {1} ? {yes} : {no}}
mynetworks_style = \${{\$compatibility_level} <level {2} ? {subnet} : {host}}
" "$tmp/out"
pc -hx smtpd_banner
check_text "-hx" "mx.example.test ESMTP acceptance
" "$tmp/out"
pc myhostname no_such_parameter mydomain
check_status "unknown parameter" 0 "$status"
check_text "unknown parameter: output" "myhostname = mx.example.test
mydomain = example.test
" "$tmp/out"
check_text "unknown parameter: warning" "$W no_such_parameter: unknown parameter
" "$tmp/err"

# --- section 5: master.cf listings ---------------------------------------
pc -M smtp/unix qmgr/unix
check_text "-M service/type in file order" "qmgr       unix  n       -       n       300     1       qmgr
smtp       unix  -       -       n       -       -       smtp
" "$tmp/out"
pc -M nosuch/unix
check_text "-M unmatched" "$W unmatched request: \"nosuch/unix\"
" "$tmp/err"
pc -F qmgr/unix
check_text "-F service/type" "qmgr/unix/service = qmgr
qmgr/unix/type = unix
qmgr/unix/private = n
qmgr/unix/unprivileged = -
qmgr/unix/chroot = n
qmgr/unix/wakeup = 300
qmgr/unix/process_limit = 1
qmgr/unix/command = qmgr
" "$tmp/out"
pc -F '*/*/chroot'
check_status "-F pattern" 0 "$status"
[ "$(wc -l <"$tmp/out")" = 25 ] && head -1 "$tmp/out" | grep -qx '127.0.0.1:12025/inet/chroot = n'
check_status "-F '*/*/chroot' lists 25 services" 0 $?
pc -P
check_text "-P" "127.0.0.1:12025/inet/smtpd_client_restrictions = permit_mynetworks,reject
127.0.0.1:12025/inet/syslog_name = postfix/inbound
" "$tmp/out"
pc -P 127.0.0.1:12025/inet/syslog_name
check_text "-P pattern" "127.0.0.1:12025/inet/syslog_name = postfix/inbound
" "$tmp/out"

# --- section 7: unknown, unused and undefined parameters -----------------
printf 'foo_bar = baz\nmyorigin_typo = example.test\nsmtpd_banner = $myhostname ESMTP $no_such_param\n' >>"$dir/main.cf"
printf '127.0.0.1:12027 inet n - n - - smtpd\n  -o unknown_master_param=1\n  -o smtpd_helo_required=yes\n' >>"$dir/master.cf"
pc -n
check_status "-n with unused parameters" 0 "$status"
grep -qx 'smtpd_banner = $myhostname ESMTP $no_such_param' "$tmp/out" && ! grep -q foo_bar "$tmp/out"
check_status "-n omits unused parameters" 0 $?
sort "$tmp/err" >"$tmp/got"
sort >"$tmp/want" <<EOW
$W $dir/main.cf, line 24: overriding earlier entry: smtpd_banner=\$myhostname ESMTP acceptance
$W $dir/main.cf: undefined parameter: no_such_param
$W $dir/main.cf: unused parameter: myorigin_typo=example.test
$W $dir/main.cf: unused parameter: foo_bar=baz
$W $dir/master.cf: unused parameter: unknown_master_param=1
EOW
check_same "-n warnings" "$tmp/want" "$tmp/got"
pc -x smtpd_banner
check_text "-x with an undefined parameter" "smtpd_banner = mx.example.test ESMTP
" "$tmp/out"
pc -M 127.0.0.1:12027/inet
check_text "-M shows -o options" "127.0.0.1:12027 inet n   -       n       -       -       smtpd -o unknown_master_param=1 -o smtpd_helo_required=yes
" "$tmp/out"
grep -c 'main.cf: unused' "$tmp/err" >"$tmp/got"
check_text "-M warns only about master.cf unused parameters" "0
" "$tmp/got"

# --- section 8: main.cf syntax --------------------------------------------
reset_instance
echo 'this line has no equals sign' >>"$dir/main.cf"
pc -n
check_status "main.cf line without '='" 1 "$status"
check_text "main.cf line without '=': message" "$F $dir/main.cf, line 22: missing '=' after attribute name: \"this line has no equals sign\"
" "$tmp/err"
reset_instance
echo '= value_without_name' >>"$dir/main.cf"
pc -n
check_status "main.cf '=' without a name" 1 "$status"
check_text "main.cf '=' without a name: message" "$F $dir/main.cf, line 22: missing attribute name: \"= value_without_name\"
" "$tmp/err"
reset_instance
{ echo '  leading_whitespace = 1'; cat "$dir/main.cf"; } >"$tmp/m" && mv "$tmp/m" "$dir/main.cf"
pc -n
check_status "main.cf leading white space" 0 "$status"
check_text "main.cf leading white space: warning" "$W $dir/main.cf: logical line must not start with whitespace: \"leading_whitespace = 1\"
" "$tmp/err"
reset_instance
echo 'message_size_limit = notanumber' >>"$dir/main.cf"
pc -h message_size_limit
check_text "bad number is shown as written" "notanumber
" "$tmp/out"

# --- section 9: master.cf syntax -----------------------------------------
master_error() { # LINE MESSAGE
    reset_instance
    echo "$1" >>"$dir/master.cf"
    pc -M
    check_status "master.cf: $1" 1 "$status"
    check_text "master.cf: $1: message" "$F $2
" "$tmp/err"
}
master_error '127.0.0.1:12027 inet n - n - smtpd' "file $dir/master.cf: line 28: bad field count"
master_error '127.0.0.1:12027 inet x - n - - smtpd' 'invalid private field "x" in "127.0.0.1:12027 inet x - n - - smtpd"'
master_error '127.0.0.1:12027 inet n - n abc - smtpd' 'invalid wakeup field "abc" in "127.0.0.1:12027 inet n - n abc - smtpd"'
master_error '127.0.0.1:12027 inet n - n - z smtpd' 'invalid process_limit field "z" in "127.0.0.1:12027 inet n - n - z smtpd"'
master_error 'foo bogus n - n - - smtpd' 'invalid type field "bogus" in "foo bogus n - n - - smtpd"'
reset_instance
{ echo '  -o foo=bar'; cat "$dir/master.cf"; } >"$tmp/m" && mv "$tmp/m" "$dir/master.cf"
pc -M
check_status "master.cf continuation before any service" 0 "$status"
check_text "master.cf continuation before any service: warning" "$W $dir/master.cf: logical line must not start with whitespace: \"  -o foo=bar\"
" "$tmp/err"
finish
