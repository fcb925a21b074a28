#!/usr/bin/env bash
# postconf_seeds.sh - the main.cf and master.cf of seeds 000 and 002 read back
# through postconf -n, -M, -Mf and -P exactly as Postfix 3.7 prints them
# (expected-*.out were produced by Debian's postconf on the same files).
. "$top_srcdir/tests/integration/lib.sh"

for seed in seed000 seed002; do
    dir=$(instance "$seed")
    cp "$FIXTURES/$seed/main.cf" "$FIXTURES/$seed/master.cf" "$dir/"
    for mode in n M Mf P; do
        sed "s|@DIR@|$dir|g" "$FIXTURES/$seed/expected-$mode.out" >"$tmp/want"
        "$POSTCONF" -c "$dir" "-$mode" >"$tmp/got" 2>"$tmp/err"
        check_status "$seed postconf -$mode" 0 $?
        check_same "$seed postconf -$mode output" "$tmp/want" "$tmp/got"
    done
    sed "s|@DIR@|$dir|g" "$FIXTURES/$seed/expected-n.err" >"$tmp/want"
    "$POSTCONF" -c "$dir" -n 2>"$tmp/got" >/dev/null
    check_same "$seed postconf -n warnings" "$tmp/want" "$tmp/got"
    # MAIL_CONFIG selects the instance as -c does.
    sed "s|@DIR@|$dir|g" "$FIXTURES/$seed/expected-n.out" >"$tmp/want"
    MAIL_CONFIG=$dir "$POSTCONF" -n >"$tmp/got" 2>/dev/null
    check_same "$seed MAIL_CONFIG postconf -n" "$tmp/want" "$tmp/got"
done
finish
