#!/usr/bin/env bash
# postmap_reference.sh - postmap and postalias outputs, warnings, errors and
# exit codes against shared/reference/postmap.txt (sections 1-8: hash build,
# duplicates and bad lines, -q/-q -/-s/-r/-w/-f, -d/-i, missing files and
# types, regexp/pcre/cidr tables and their errors, inline/static/texthash/
# btree, postalias and newaliases), with postern's binaries in place of
# /usr/sbin/postmap and /usr/sbin/postalias.
. "$top_srcdir/tests/integration/lib.sh"

POSTMAP=$top_builddir/src/postmap/postmap
POSTALIAS=$top_builddir/src/postmap/postalias
E=$(instance postmap)
cat >"$E/main.cf" <<EOF
compatibility_level = 3.6
myhostname = mx.example.test
alias_database = hash:$E/aliases
EOF
W="$POSTMAP: warning:"
F="$POSTMAP: fatal:"

# pm NAME WANT_STATUS WANT_STDOUT WANT_STDERR ARGS...; stdin from $IN when set.
pm() {
    local name=$1 want=$2 out=$3 err=$4
    shift 4
    if [ -n "${IN:-}" ]; then
        printf "$IN" | "$@" >"$tmp/out" 2>"$tmp/err"
    else
        "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    fi
    check_status "$name" "$want" $?
    check_text "$name: stdout" "$out" "$tmp/out"
    check_text "$name: stderr" "$err" "$tmp/err"
    IN=
}
IN=

# --- section 1: hash ---------------------------------------------------------
cat >"$E/virtual" <<'EOF'
# comment line
Alice@Example.TEST   alice@mx.example.test
bob@example.test     bob@mx.example.test,
    carol@mx.example.test

@catchall.example.test  postmaster@mx.example.test
spaces@example.test  value with   several words
dup@example.test     first
dup@example.test     second
novalue@example.test
EOF
V=hash:$E/virtual
BUILD_ERR="$W $E/virtual.db: duplicate entry: \"dup@example.test\"
$W $E/virtual, line 10: expected format: key whitespace value
"
pm "build" 0 "" "$BUILD_ERR" "$POSTMAP" -c "$E" "$V"
[ -f "$E/virtual.db" ] && [ ! -e "$E/virtual.db.tmp" ]
check_status "build leaves NAME.db and no NAME.db.tmp" 0 $?
pm "-q folded" 0 "alice@mx.example.test
" "" "$POSTMAP" -c "$E" -q ALICE@EXAMPLE.TEST "$V"
pm "-q continuation" 0 "bob@mx.example.test,    carol@mx.example.test
" "" "$POSTMAP" -c "$E" -q bob@example.test "$V"
pm "-q spaces" 0 "value with   several words
" "" "$POSTMAP" -c "$E" -q spaces@example.test "$V"
pm "-q dup keeps first" 0 "first
" "" "$POSTMAP" -c "$E" -q dup@example.test "$V"
pm "-q @domain" 0 "postmaster@mx.example.test
" "" "$POSTMAP" -c "$E" -q @catchall.example.test "$V"
pm "-q no catch-all expansion" 1 "" "" "$POSTMAP" -c "$E" -q someone@catchall.example.test "$V"
pm "-q default type" 0 "alice@mx.example.test
" "" "$POSTMAP" -c "$E" -q alice@example.test "$E/virtual"
IN='alice@example.test\nmissing@example.test\nbob@example.test\nDUP@example.test\n\n# not a comment here\n'
pm "-q -" 0 "alice@example.test	alice@mx.example.test
bob@example.test	bob@mx.example.test,    carol@mx.example.test
DUP@example.test	first
" "" "$POSTMAP" -c "$E" -q - "$V"
IN='missing1\nmissing2\n'
pm "-q - none found" 1 "" "" "$POSTMAP" -c "$E" -q - "$V"
DUMP="@catchall.example.test	postmaster@mx.example.test
alice@example.test	alice@mx.example.test
bob@example.test	bob@mx.example.test,    carol@mx.example.test
dup@example.test	first
spaces@example.test	value with   several words
"
pm "-s" 0 "$DUMP" "" "$POSTMAP" -c "$E" -s "$V"
LINE10="$W $E/virtual, line 10: expected format: key whitespace value
"
pm "-r" 0 "" "$LINE10" "$POSTMAP" -c "$E" -r "$V"
pm "-q after -r" 0 "second
" "" "$POSTMAP" -c "$E" -q dup@example.test "$V"
pm "-w" 0 "" "$LINE10" "$POSTMAP" -c "$E" -w "$V"
pm "-q after -w" 0 "first
" "" "$POSTMAP" -c "$E" -q dup@example.test "$V"
pm "-f" 0 "" "$BUILD_ERR" "$POSTMAP" -c "$E" -f "$V"
pm "-f: mixed case not found" 1 "" "" "$POSTMAP" -c "$E" -q Alice@Example.TEST "$V"
pm "-f: lower case not found" 1 "" "" "$POSTMAP" -c "$E" -q alice@example.test "$V"
pm "-q -f keeps case" 0 "alice@mx.example.test
" "" "$POSTMAP" -c "$E" -f -q Alice@Example.TEST "$V"
pm "rebuild" 0 "" "$BUILD_ERR" "$POSTMAP" -c "$E" "$V"

# --- section 2: -d and -i ----------------------------------------------------
pm "-d" 0 "" "" "$POSTMAP" -c "$E" -d alice@example.test "$V"
pm "-d again" 1 "" "" "$POSTMAP" -c "$E" -d alice@example.test "$V"
IN='bob@example.test\nnot-there@example.test\n'
pm "-d -" 0 "" "" "$POSTMAP" -c "$E" -d - "$V"
IN='new@example.test   new-value\nalso-new@example.test\n'
pm "-i" 0 "" "$W stdin, line 2: expected format: key whitespace value
" "$POSTMAP" -c "$E" -i "$V"
pm "-s after -d/-i" 0 "@catchall.example.test	postmaster@mx.example.test
new@example.test	new-value
dup@example.test	first
spaces@example.test	value with   several words
" "" "$POSTMAP" -c "$E" -s "$V"

# --- section 3: missing files and types -------------------------------------
pm "-q missing db" 1 "" "$F open database $E/does-not-exist.db: No such file or directory
" "$POSTMAP" -c "$E" -q key "hash:$E/does-not-exist"
pm "build missing source" 1 "" "$F open $E/does-not-exist: No such file or directory
" "$POSTMAP" -c "$E" "hash:$E/does-not-exist"
pm "unknown type" 1 "" "$F unsupported dictionary type: nosuchtype
" "$POSTMAP" -c "$E" -q key "nosuchtype:$E/virtual"
pm "mysql" 1 "" "$F unsupported dictionary type: mysql
" "$POSTMAP" -c "$E" -q key "mysql:$E/virtual"

# --- observed on Debian's postmap 3.7 (not in the reference file) ------------
printf '  lead value\nk v\n' >"$E/lead"
pm "leading white space" 0 "" "$W $E/lead: logical line must not start with whitespace: \"  lead value\"
" "$POSTMAP" -c "$E" "hash:$E/lead"
pm "no bulk creation of cidr" 1 "" "$F unsupported dictionary type: cidr does not support bulk-mode creation.
" "$POSTMAP" -c "$E" "cidr:$E/lead"
pm "-q and -s" 1 "" "$F specify only one of -s or -q or -d
" "$POSTMAP" -c "$E" -q a -s "hash:$E/lead"
pm "-b without -q -" 1 "" "$F specify -b -h or -m only with \"-q -\"
" "$POSTMAP" -c "$E" -b "hash:$E/lead"
pm "usage" 1 "" "$F usage: $POSTMAP [-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key] [map_type:]file...
" "$POSTMAP" -c "$E"
pm "-q over two tables" 0 "1
" "" "$POSTMAP" -c "$E" -q a "hash:$E/lead" 'inline:{a=1}'
pm "fail: query error" 1 "" "$F table fail:x: query error: Application error
" "$POSTMAP" -c "$E" -q a fail:x
pm "unionmap" 0 "1,2
" "" "$POSTMAP" -c "$E" -q a 'unionmap:{inline:{a=1},static:2, inline:{b=3}}'
pm "pipemap" 0 "2
" "" "$POSTMAP" -c "$E" -q a 'pipemap:{inline:{a=1},inline:{1=2}}'

# --- section 4: regexp -------------------------------------------------------
cat >"$E/checks.regexp" <<'EOF'
# header checks style
/^Subject:.*viagra/    REJECT spam subject
/^From: (.*)@old\.example\.test$/   FROM $1@new.example.test
/(^|@)example\.test$/  OK
/^x-(.+)$/i            found ${1} (the i flag makes this rule case-SENSITIVE)
!/@/                   DUNNO no at-sign
EOF
R=regexp:$E/checks.regexp
pm "regexp subject" 0 "REJECT spam subject
" "" "$POSTMAP" -c "$E" -q 'Subject: cheap VIAGRA now' "$R"
pm "regexp \$1" 0 "FROM joe@new.example.test
" "" "$POSTMAP" -c "$E" -q 'From: joe@old.example.test' "$R"
pm "regexp OK" 0 "OK
" "" "$POSTMAP" -c "$E" -q user@example.test "$R"
pm "regexp negated" 0 "DUNNO no at-sign
" "" "$POSTMAP" -c "$E" -q localpart-only "$R"
pm "regexp \${1} and i" 0 "found thing (the i flag makes this rule case-SENSITIVE)
" "" "$POSTMAP" -c "$E" -q x-thing "$R"
pm "regexp i is case-sensitive" 0 "DUNNO no at-sign
" "" "$POSTMAP" -c "$E" -q X-Thing "$R"
pm "regexp no match" 1 "" "" "$POSTMAP" -c "$E" -q nothing@else.example "$R"
IN='user@example.test\nno-match@else.example\nsomething\n'
pm "regexp -q -" 0 "user@example.test	OK
something	DUNNO no at-sign
" "" "$POSTMAP" -c "$E" -q - "$R"
pm "regexp -s" 1 "" "$F table $R: sequence operation is not supported
" "$POSTMAP" -c "$E" -s "$R"
cat >"$E/bad.regexp" <<'EOF'
/good/ OK
/unbalanced(/ REJECT
/no-closing-delimiter REJECT
/x/q REJECT bad flag
/bad-ref/ REJECT $3
if /foo/
/bar/ OK
EOF
pm "regexp errors" 0 "OK
" "$W regexp map $E/bad.regexp, line 2: Unmatched ( or \\(
$W regexp map $E/bad.regexp, line 3: no closing regexp delimiter \"/\": skipping this rule
$W regexp map $E/bad.regexp, line 4: unknown regexp option \"q\": skipping this rule
$W regexp map $E/bad.regexp, line 5: out of range replacement index \"3\": skipping this rule
$W regexp map $E/bad.regexp, line 6: IF has no matching ENDIF
" "$POSTMAP" -c "$E" -q good "regexp:$E/bad.regexp"
printf 'endif\n' >"$E/bad2.regexp"
pm "regexp ENDIF without IF" 1 "" "$W regexp map $E/bad2.regexp, line 1: ignoring ENDIF without matching IF
" "$POSTMAP" -c "$E" -q x "regexp:$E/bad2.regexp"

# --- section 5: pcre ---------------------------------------------------------
cat >"$E/checks.pcre" <<'EOF'
/^(\w+)\+(\w+)@example\.test$/   $1@example.test (ext $2)
/^CASE$/    case-insensitive by default
/^Strict$/i strict case (the i flag toggles case sensitivity ON)
!/\./      no dot
EOF
C=pcre:$E/checks.pcre
pm "pcre groups" 0 "alice@example.test (ext lists)
" "" "$POSTMAP" -c "$E" -q alice+lists@example.test "$C"
pm "pcre caseless" 0 "case-insensitive by default
" "" "$POSTMAP" -c "$E" -q case "$C"
pm "pcre i" 0 "strict case (the i flag toggles case sensitivity ON)
" "" "$POSTMAP" -c "$E" -q Strict "$C"
pm "pcre i lower" 0 "no dot
" "" "$POSTMAP" -c "$E" -q strict "$C"
pm "pcre no match" 1 "" "" "$POSTMAP" -c "$E" -q with.dot "$C"
printf '/(unclosed/ REJECT\n/ok/ OK\n' >"$E/bad.pcre"
pm "pcre error" 0 "OK
" "$W pcre map $E/bad.pcre, line 1: error in regex at offset 9: missing closing parenthesis
" "$POSTMAP" -c "$E" -q ok "pcre:$E/bad.pcre"

# --- section 6: cidr ---------------------------------------------------------
cat >"$E/clients.cidr" <<'EOF'
192.0.2.0/24      REJECT documentation net
192.0.2.7         OK single host (but the /24 above matches first)
198.51.100.5/32   OK
2001:db8::/32     REJECT v6 doc net
!203.0.113.0/24   DUNNO not in 203.0.113.0/24
10.0.0.0/33       bad prefix length
10.1.2.3/8        host bits set
EOF
CW="$W cidr map $E/clients.cidr, line 6: bad mask length in \"10.0.0.0/33\": skipping this rule
$W cidr map $E/clients.cidr, line 7: non-null host address bits in \"10.1.2.3/8\", perhaps you should use \"10.0.0.0/8\" instead: skipping this rule
"
D=cidr:$E/clients.cidr
pm "cidr first match" 0 "REJECT documentation net
" "$CW" "$POSTMAP" -c "$E" -q 192.0.2.7 "$D"
pm "cidr /32" 0 "OK
" "$CW" "$POSTMAP" -c "$E" -q 198.51.100.5 "$D"
pm "cidr v6" 0 "REJECT v6 doc net
" "$CW" "$POSTMAP" -c "$E" -q 2001:db8::1 "$D"
pm "cidr negated miss" 1 "" "$CW" "$POSTMAP" -c "$E" -q 203.0.113.9 "$D"
pm "cidr negated hit" 0 "DUNNO not in 203.0.113.0/24
" "$CW" "$POSTMAP" -c "$E" -q 8.8.8.8 "$D"
pm "cidr not an address" 1 "" "$CW" "$POSTMAP" -c "$E" -q not-an-ip "$D"

# --- section 7: inline, static, texthash, btree ------------------------------
I='inline:{ k1=v1, { k2 = value two }, K3=v3 }'
pm "inline k1" 0 "v1
" "" "$POSTMAP" -c "$E" -q k1 "$I"
pm "inline braced" 0 "value two
" "" "$POSTMAP" -c "$E" -q k2 "$I"
pm "inline folded" 0 "v3
" "" "$POSTMAP" -c "$E" -q k3 "$I"
pm "inline miss" 1 "" "" "$POSTMAP" -c "$E" -q nope "$I"
pm "inline missing =" 1 "" "$F missing '=' after attribute name: \"inline:{ k1=v1, broken }\"; need \"inline:{name=value...}\"
" "$POSTMAP" -c "$E" -q k1 'inline:{ k1=v1, broken }'
pm "inline unbalanced" 1 "" "$F bad syntax: \"inline:{ k1=v1\"; need \"inline:{name=value...}\"
" "$POSTMAP" -c "$E" -q k1 'inline:{ k1=v1'
pm "static" 0 "some value
" "" "$POSTMAP" -c "$E" -q anything 'static:some value'
pm "static braces" 0 "text with spaces
" "" "$POSTMAP" -c "$E" -q anything 'static:{ text with spaces }'
IN='a\nb\n'
pm "static -q -" 0 "a	fixed
b	fixed
" "" "$POSTMAP" -c "$E" -q - static:fixed
pm "inline -s" 0 "a	1
b	2
" "" "$POSTMAP" -c "$E" -s 'inline:{ a=1, b=2 }'
pm "static -s" 1 "" "$F table static:x: sequence operation is not supported
" "$POSTMAP" -c "$E" -s static:x
printf 'KeyOne  value one\nkeytwo  value two\n' >"$E/plain.texthash"
pm "texthash" 0 "value one
" "" "$POSTMAP" -c "$E" -q keyone "texthash:$E/plain.texthash"
pm "texthash folded" 0 "value two
" "" "$POSTMAP" -c "$E" -q KEYTWO "texthash:$E/plain.texthash"
pm "texthash -s" 0 "keyone	value one
keytwo	value two
" "" "$POSTMAP" -c "$E" -s "texthash:$E/plain.texthash"
printf 'b  2\na  1\nc  3\n' >"$E/tree"
pm "btree build" 0 "" "" "$POSTMAP" -c "$E" "btree:$E/tree"
pm "btree -s sorted" 0 "a	1
b	2
c	3
" "" "$POSTMAP" -c "$E" -s "btree:$E/tree"
pm "btree -q" 0 "1
" "" "$POSTMAP" -c "$E" -q a "btree:$E/tree"

# --- section 8: postalias ----------------------------------------------------
cat >"$E/aliases" <<'EOF'
# aliases
postmaster: root
root: alice
Team: alice, bob,
  carol
quoted: "|/bin/cat"
file: /tmp/somefile
include: :include:/tmp/list
nocolon alice
root: bob
EOF
A="$POSTALIAS: warning:"
AERR="$A $E/aliases, line 9: need name:value pair
$A $E/aliases.db: duplicate entry: \"root\"
"
pm "postalias build" 0 "" "$AERR" "$POSTALIAS" -c "$E" "$E/aliases"
pm "postalias -q list" 0 "alice, bob, carol
" "" "$POSTALIAS" -c "$E" -q team "$E/aliases"
pm "postalias first wins" 0 "alice
" "" "$POSTALIAS" -c "$E" -q root "$E/aliases"
pm "postalias quoted" 0 "\"|/bin/cat\"
" "" "$POSTALIAS" -c "$E" -q quoted "$E/aliases"
pm "postalias miss" 1 "" "" "$POSTALIAS" -c "$E" -q missing "$E/aliases"
IN='postmaster\nmissing\nteam\n'
pm "postalias -q -" 0 "postmaster:	root
team:	alice, bob, carol
" "" "$POSTALIAS" -c "$E" -q - "$E/aliases"
"$POSTALIAS" -c "$E" -s "$E/aliases" | grep -v '^YP_LAST_MODIFIED:' >"$tmp/dump"
check_text "postalias -s" "@:	@
YP_MASTER_NAME:	mx.example.test
file:	/tmp/somefile
include:	:include:/tmp/list
postmaster:	root
quoted:	\"|/bin/cat\"
root:	alice
team:	alice, bob, carol
" "$tmp/dump"
pm "postalias -d" 0 "" "" "$POSTALIAS" -c "$E" -d file "$E/aliases"
pm "postalias -q @" 0 "@
" "" "$POSTALIAS" -c "$E" -q @ "$E/aliases"
ln -s "$POSTALIAS" "$tmp/newaliases"
rm -f "$E/aliases.db"
N="$tmp/newaliases: warning:"
pm "newaliases" 0 "" "$N $E/aliases, line 9: need name:value pair
$N $E/aliases.db: duplicate entry: \"root\"
" "$tmp/newaliases" -c "$E"
pm "newaliases built alias_database" 0 "alice
" "" "$POSTALIAS" -c "$E" -q root "$E/aliases"

finish
