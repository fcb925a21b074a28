#!/usr/bin/env bash
# postmap_checks.sh - postmap -q - with -h, -b and -m: message header and
# body lines from stdin looked up as header_checks/body_checks see them
# (folded headers as one line, MIME part and attached-message headers only
# with -m), "line<TAB>result" output and exit codes. Expected texts were
# observed with Debian's /usr/sbin/postmap on the same table and messages.
. "$top_srcdir/tests/integration/lib.sh"

POSTMAP=$top_builddir/src/postmap/postmap
E=$(instance checks)
cat >"$E/main.cf" <<EOF
compatibility_level = 3.6
EOF
cat >"$E/checks.regexp" <<'EOF'
/^Subject: .*hello/	REJECT subj
/^X-Fold: a/	WARN fold
/^Content-Type: text\/plain/	INFO ctype
/^Content-Disposition:/	HOLD disp
/^Content-Type: multipart/	DUNNO mp
/body line/	DISCARD body
/^--BOUND/	IGNORE bound
/^From: /	OK from
/nested/	REPLACE X-N: n
/charset=/	FILTER cs
/^$/	EMPTY
EOF
T=regexp:$E/checks.regexp
grep -v '^/^\$/' "$E/checks.regexp" >"$E/noempty.regexp"

# A multipart message: a folded primary header, a folded part header and
# an attached message (message/rfc822) with headers of its own.
cat >"$E/msg" <<'EOF'
From: a@b
Subject: say hello
X-Fold: a
  b
	c
MIME-Version: 1.0
Content-Type: multipart/mixed;
 boundary="BOUND"

preamble body line
--BOUND
Content-Type: text/plain;
 charset=us-ascii
Content-Disposition: inline

first body line
nested text
--BOUND
Content-Type: message/rfc822

Subject: nested hello
X-Fold: a

nested body line
--BOUND--
epilogue body line
EOF

# pm NAME WANT_STATUS WANT_STDOUT WANT_STDERR STDIN_FILE ARGS...
pm() {
    local name=$1 want=$2 out=$3 err=$4 in=$5
    shift 5
    "$@" <"$in" >"$tmp/out" 2>"$tmp/err"
    check_status "$name" "$want" $?
    check_text "$name: stdout" "$out" "$tmp/out"
    check_text "$name: stderr" "$err" "$tmp/err"
}

HDRS="From: a@b	OK from
Subject: say hello	REJECT subj
X-Fold: a
  b
	c	WARN fold
Content-Type: multipart/mixed;
 boundary=\"BOUND\"	DUNNO mp
"
pm "-h: primary headers, folds kept" 0 "$HDRS" "" "$E/msg" "$POSTMAP" -c "$E" -q - -h "$T"

# Without -m MIME is not parsed: part headers and nested headers are body.
BODY="	EMPTY
preamble body line	DISCARD body
--BOUND	IGNORE bound
Content-Type: text/plain;	INFO ctype
 charset=us-ascii	FILTER cs
Content-Disposition: inline	HOLD disp
	EMPTY
first body line	DISCARD body
nested text	REPLACE X-N: n
--BOUND	IGNORE bound
	EMPTY
Subject: nested hello	REJECT subj
X-Fold: a	WARN fold
	EMPTY
nested body line	DISCARD body
--BOUND--	IGNORE bound
epilogue body line	DISCARD body
"
pm "-b: every line after the primary headers" 0 "$BODY" "" "$E/msg" \
    "$POSTMAP" -c "$E" -q - -b "$T"
pm "-h -b" 0 "$HDRS$BODY" "" "$E/msg" "$POSTMAP" -c "$E" -q - -h -b "$T"

MIMEHDRS="Content-Type: text/plain;
 charset=us-ascii	INFO ctype
Content-Disposition: inline	HOLD disp
Subject: nested hello	REJECT subj
X-Fold: a	WARN fold
"
pm "-h -m: part headers (folded) and nested headers" 0 "$HDRS$MIMEHDRS" "" "$E/msg" \
    "$POSTMAP" -c "$E" -q - -h -m "$T"

MBODY="	EMPTY
preamble body line	DISCARD body
--BOUND	IGNORE bound
	EMPTY
first body line	DISCARD body
nested text	REPLACE X-N: n
--BOUND	IGNORE bound
	EMPTY
	EMPTY
nested body line	DISCARD body
--BOUND--	IGNORE bound
epilogue body line	DISCARD body
"
pm "-b -m: body without part headers" 0 "$MBODY" "" "$E/msg" "$POSTMAP" -c "$E" -q - -b -m "$T"

printf 'Subject: plain\nX-Other: z\n\nnothing to see\n' >"$E/nomatch"
pm "-h -b no match" 1 "" "" "$E/nomatch" "$POSTMAP" -c "$E" -q - -h -b "regexp:$E/noempty.regexp"
pm "-h -b empty table" 1 "" "" "$E/msg" "$POSTMAP" -c "$E" -q - -h -b "regexp:/dev/null"

printf 'Subject: hello\nX-Fold: a' >"$E/nonl"
pm "-h last header without newline" 0 "Subject: hello	REJECT subj
X-Fold: a	WARN fold
" "" "$E/nonl" "$POSTMAP" -c "$E" -q - -h "$T"
printf 'Subject: x\n\nno newline body line' >"$E/nonl2"
pm "-b last line without newline" 0 "	EMPTY
no newline body line	DISCARD body
" "" "$E/nonl2" "$POSTMAP" -c "$E" -q - -b "$T"

# -m alone is ignored (a warning): plain "-q -", one key per line.
printf 'X-Fold: a\n  b\nnested\n' >"$E/keys"
pm "-m alone" 0 "X-Fold: a	WARN fold
nested	REPLACE X-N: n
" "$POSTMAP: warning: ignoring -m option without -b or -h
" "$E/keys" "$POSTMAP" -c "$E" -q - -m "$T"
pm "-h without -q -" 1 "" "$POSTMAP: fatal: specify -b -h or -m only with \"-q -\"
" /dev/null "$POSTMAP" -c "$E" -q key -h "$T"

finish
