#!/usr/bin/env bash
# postconf_edit.sh - postconf -e, -X, -# on main.cf and -M/-P/-F edits of
# master.cf: comments, order and untouched lines survive byte for byte, the
# file keeps its mode, and the results match shared/reference section 6.
. "$top_srcdir/tests/integration/lib.sh"

ref=$FIXTURES/reference
dir=$(instance postconf)
pc() { "$POSTCONF" -c "$dir" "$@" >"$tmp/out" 2>"$tmp/err"; status=$?; }

cat >"$dir/main.cf" <<'EOM'
# a comment that must survive
compatibility_level = 3.6
myhostname = mx.example.test
smtpd_recipient_restrictions =
    permit_mynetworks,
    # a comment inside an entry
    reject_unauth_destination
biff = no
EOM
cp "$ref/master.cf" "$dir/master.cf"
chmod 640 "$dir/main.cf"

pc -e 'relayhost = [127.0.0.1]:12060' message_size_limit=20000
check_status "-e appends new parameters" 0 "$status"
pc -n relayhost message_size_limit
check_text "-n shows the new values" "relayhost = [127.0.0.1]:12060
message_size_limit = 20000
" "$tmp/out"
pc -e 'message_size_limit = 30000' 'relayhost =' 'smtpd_recipient_restrictions = permit_mynetworks, reject'
check_text "-e replaces in place, a multi-line entry by one line" "# a comment that must survive
compatibility_level = 3.6
myhostname = mx.example.test
smtpd_recipient_restrictions = permit_mynetworks, reject
biff = no
relayhost = 
message_size_limit = 30000
" "$dir/main.cf"
[ "$(stat -c %a "$dir/main.cf")" = 640 ]
check_status "-e keeps the file mode" 0 $?
[ ! -e "$dir/main.cf.tmp" ]
check_status "-e leaves no temporary file" 0 $?

pc -X relayhost
pc '-#' message_size_limit
check_text "-X removes, -# comments out" "# a comment that must survive
compatibility_level = 3.6
myhostname = mx.example.test
smtpd_recipient_restrictions = permit_mynetworks, reject
biff = no
#message_size_limit = 30000
" "$dir/main.cf"

printf 'biff = yes\n' >>"$dir/main.cf"
pc -e 'biff = maybe'
grep -c '^biff' "$dir/main.cf" >"$tmp/got"
check_text "-e on a duplicated parameter keeps one entry" "1
" "$tmp/got"
pc -h biff
check_text "-e on a duplicated parameter sets the value" "maybe
" "$tmp/out"

pc -e 'bogus line without equals'
check_status "-e without '='" 1 "$status"
check_text "-e without '=': message" "$POSTCONF: fatal: missing '=' after attribute name: \"bogus line without equals\"
" "$tmp/err"
pc -e 'not_a_known_parameter = 1'
check_status "-e accepts unknown names" 0 "$status"
tail -1 "$dir/main.cf" >"$tmp/got"
check_text "-e of an unknown name is appended" "not_a_known_parameter = 1
" "$tmp/got"

# master.cf (reference section 6): the new entry is written in -Mf layout.
pc -M -e '127.0.0.1:12026/inet = 127.0.0.1:12026 inet n - n - - smtpd'
check_status "-M -e" 0 "$status"
pc -P -e 127.0.0.1:12026/inet/syslog_name=postfix/second
check_status "-P -e" 0 "$status"
pc -F -e 127.0.0.1:12026/inet/chroot=n
check_status "-F -e" 0 "$status"
{ cat "$ref/master.cf"; printf '127.0.0.1:12026 inet n   -       n       -       -       smtpd\n    -o syslog_name=postfix/second\n'; } >"$tmp/want"
check_same "master.cf after -M -e, -P -e, -F -e" "$tmp/want" "$dir/master.cf"
pc -P -e 127.0.0.1:12026/inet/syslog_name=postfix/third
grep -c 'syslog_name=postfix/third' "$dir/master.cf" >"$tmp/got"
check_text "-P -e replaces an existing -o" "1
" "$tmp/got"
pc -M -X 127.0.0.1:12026/inet
pc -M '-#' lmtp/unix
sed 's/^lmtp      unix/#lmtp      unix/' "$ref/master.cf" >"$tmp/want"
check_same "master.cf after -M -X and -M -#" "$tmp/want" "$dir/master.cf"
finish
