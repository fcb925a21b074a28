#!/usr/bin/env bash
# postmap_million.sh - the golden table test of issue 6: postmap builds a
# 1,000,000-line hash table, then 100,000 random keys looked up through
# "postmap -q -" must all come back with their exact values, and 1,000
# absent keys must not be found (exit 1). Timing is scripts/bench-tables'
# job; this test only checks correctness at size.
. "$top_srcdir/tests/integration/lib.sh"

POSTMAP=$top_builddir/src/postmap/postmap
lines=${POSTMAP_MILLION_LINES:-1000000}
dir=$(instance million)
printf 'compatibility_level = 3.6\n' >"$dir/main.cf"
awk -v n="$lines" 'BEGIN { for (i = 0; i < n; i++) printf "user%07d@example.com\tvalue-%d\n", i, i * 7 }' >"$dir/table"
awk -v n="$lines" 'BEGIN { srand(42); for (i = 0; i < 100000; i++) { k = int(rand() * n); printf "user%07d@example.com\tvalue-%d\n", k, k * 7 } }' >"$tmp/expected"
cut -f1 "$tmp/expected" >"$tmp/keys"
awk 'BEGIN { for (i = 0; i < 1000; i++) printf "absent%d@example.com\n", i }' >"$tmp/absent"

"$POSTMAP" -c "$dir" "hash:$dir/table"
check_status "postmap builds $lines lines" 0 $?
"$POSTMAP" -c "$dir" -q - "hash:$dir/table" <"$tmp/keys" >"$tmp/got"
check_status "100,000 lookups" 0 $?
check_same "every looked-up key has its value" "$tmp/expected" "$tmp/got"
"$POSTMAP" -c "$dir" -q - "hash:$dir/table" <"$tmp/absent" >"$tmp/absent.out"
check_status "absent keys are not found" 1 $?
check_text "absent keys print nothing" "" "$tmp/absent.out"
finish
