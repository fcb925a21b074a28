#!/usr/bin/env bash
# postconf_defaults.sh - postern's postconf -d and -x agree with Postfix 3.7's
# for every parameter, except the deviations params.def documents and the
# values derived from them. The references are Postfix 3.7.11's own output
# (tests/integration/fixtures/reference, copied from shared/reference).
. "$top_srcdir/tests/integration/lib.sh"

ref=$FIXTURES/reference
dir=$(instance pcd)
printf 'compatibility_level = 3.6\nmyhostname = mx.example.com\n' >"$dir/main.cf"
cp "$ref/master.cf" "$dir/master.cf"

# Names whose defaults deliberately differ (params.def header), the computed
# ones, and those whose default is built from them.
deviations=$(sed -n 's/^ \*   \([a-z_0-9]*\) *= .*/\1/p' "$top_srcdir/lib/conf/params.def" | sort -u)
computed="myhostname mydomain mynetworks process_id process_name"
derived="milter_macro_v syslog_name"
skip=" $(echo $deviations) $computed $derived "
[ -n "$deviations" ] || { echo "FAILED: no deviation list found in params.def"; exit 1; }

filter() { # drop the lines of skipped names
    awk -v skip="$skip" '{ n = $1; if (index(skip, " " n " ") == 0) print }' "$1"
}

"$POSTCONF" -c "$dir" -d >"$tmp/d.out" 2>"$tmp/d.err"
check_status "postconf -d" 0 $?
check_text "postconf -d warnings" "" "$tmp/d.err"
awk '{print $1}' "$ref/postconf-d.ref" >"$tmp/names.want"
awk '{print $1}' "$tmp/d.out" >"$tmp/names.got"
check_same "postconf -d lists the same $(wc -l <"$tmp/names.want") names" "$tmp/names.want" "$tmp/names.got"
filter "$ref/postconf-d.ref" >"$tmp/want"
filter "$tmp/d.out" >"$tmp/got"
check_same "postconf -d defaults equal Postfix 3.7's ($(wc -l <"$tmp/got") compared)" "$tmp/want" "$tmp/got"

# -d of single names, -dh.
"$POSTCONF" -c "$dir" -d mydestination message_size_limit queue_run_delay >"$tmp/got"
check_text "postconf -d names" "mydestination = \$myhostname, localhost.\$mydomain, localhost
message_size_limit = 10240000
queue_run_delay = 300s
" "$tmp/got"
"$POSTCONF" -c "$dir" -dh message_size_limit >"$tmp/got"
check_text "postconf -dh" "10240000
" "$tmp/got"

# -x at compatibility level 3.6 with the reference instance's main.cf:
# expansion of every default, compatibility expressions included.
xdir=$(instance postconf)
sed "s|<instances>/postconf|$xdir|g" "$ref/main.cf.in" >"$xdir/main.cf"
cp "$ref/master.cf" "$xdir/master.cf"
"$POSTCONF" -c "$xdir" -x >"$tmp/x.out" 2>"$tmp/x.err"
check_status "postconf -x" 0 $?
sed "s|<instances>/postconf|$xdir|g" "$ref/postconf-x.ref" | filter /dev/stdin >"$tmp/want"
filter "$tmp/x.out" >"$tmp/got"
check_same "postconf -x values equal Postfix 3.7's at level 3.6 ($(wc -l <"$tmp/got") compared)" "$tmp/want" "$tmp/got"
finish
