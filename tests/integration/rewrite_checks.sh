# rewrite_checks.sh - header_checks and body_checks in a real cleanup:
# every action (WARN, INFO, REJECT, IGNORE, REPLACE, PREPEND, HOLD,
# DISCARD, BCC, FILTER, REDIRECT, DUNNO, OK) through cleanup-submit, with
# the queue file (envelope and content) and the Postfix-style log line
# checked for each.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/rewrite_lib.sh"

mkdir -p "$tmp/tables"
cat >"$tmp/tables/header_checks" <<'TABLE'
/^X-Test: warn/ WARN warned
/^X-Test: info/ INFO noted
/^X-Test: reject$/ REJECT
/^X-Test: reject-text/ REJECT go away
/^X-Test: ignore/ IGNORE
/^X-Test: replace/ REPLACE X-Test: replaced
/^X-Test: prepend/ PREPEND X-Prepended: yes
/^X-Test: hold/ HOLD held for review
/^X-Test: discard/ DISCARD dropped
/^X-Test: bcc/ BCC copy@example.test
/^X-Test: filter/ FILTER smtp:[127.0.0.1]:10025
/^X-Test: redirect/ REDIRECT elsewhere@example.test
/^X-Test: dunno/ DUNNO
/^X-Test: ok/ OK
/^X-Test: bogus/ FROBNICATE
/^Content-Disposition: attachment; filename="evil\.exe"/ REJECT bad attachment
/^Subject: nested-secret/ WARN nested subject
/^X-Part: ignore/ IGNORE
TABLE
cat >"$tmp/tables/body_checks" <<'TABLE'
/^BODY-REJECT/ REJECT 5.7.0 body says no
/^BODY-WARN/ WARN body warned
/^BODY-IGNORE/ IGNORE
/^BODY-REPLACE/ REPLACE replaced line
/^BODY-PREPEND/ PREPEND a line before
TABLE
start_instance checks <<CONF
compatibility_level = 3.6
myhostname = mx.example.test
mydomain = example.test
header_checks = regexp:$tmp/tables/header_checks
body_checks = regexp:$tmp/tables/body_checks
CONF

# msg NAME X-TEST-VALUE [BODY]: submits an SMTP-style message.
msg() {
    printf 'From: s@client.test\nX-Test: %s\nSubject: t\n\n%s\n' "$2" "${3:-body}" >"$tmp/in"
    submit "$1" -f s@client.test -a rewrite_context=remote -a client_name=client.test \
        -a client_address=192.0.2.1 -a helo_name=helo.test -a protocol_name=ESMTP \
        -r rcpt@example.test <"$tmp/in"
}
# content NAME [QUEUE]: the dump from message_content on.
content() {
    dump "$1" "${2:-}"
    sed -n '/^message_content/,$p' "$tmp/$1.dump" >"$tmp/$1.content"
}
ORIGIN='from client.test[192.0.2.1]; from=<s@client.test> to=<rcpt@example.test> proto=ESMTP helo=<helo.test>'

msg warn warn
content warn
check_text "WARN: message unchanged" "message_content: 
regular_text: From: s@client.test
regular_text: X-Test: warn
regular_text: Subject: t
regular_text: 
regular_text: body
extracted_info: 
message_end: 
" "$tmp/warn.content"
check_log "WARN: logged" "$qid: warning: header X-Test: warn $ORIGIN: warned"

msg info info
check_log "INFO: logged" "$qid: info: header X-Test: info $ORIGIN: noted"

msg reject reject
check_text "REJECT: default reply" "queue_id: $qid
status: 8 5.7.1 message content rejected
" "$tmp/reject.out"
no_file "REJECT"
check_log "REJECT: logged" "$qid: reject: header X-Test: reject $ORIGIN: 5.7.1 message content rejected"

msg rejtext reject-text
check_text "REJECT text: reply" "queue_id: $qid
status: 8 5.7.1 go away
" "$tmp/rejtext.out"
no_file "REJECT text"

msg ignore ignore
content ignore
check_text "IGNORE: header removed" "message_content: 
regular_text: From: s@client.test
regular_text: Subject: t
regular_text: 
regular_text: body
extracted_info: 
message_end: 
" "$tmp/ignore.content"

msg replace replace
content replace
check_text "REPLACE: header replaced" "message_content: 
regular_text: From: s@client.test
regular_text: X-Test: replaced
regular_text: Subject: t
regular_text: 
regular_text: body
extracted_info: 
message_end: 
" "$tmp/replace.content"
check_log "REPLACE: logged" "$qid: replace: header X-Test: replace $ORIGIN: X-Test: replaced"

msg prepend prepend
content prepend
check_text "PREPEND: header added before" "message_content: 
regular_text: From: s@client.test
regular_text: X-Prepended: yes
regular_text: X-Test: prepend
regular_text: Subject: t
regular_text: 
regular_text: body
extracted_info: 
message_end: 
" "$tmp/prepend.content"

msg hold hold
checks=$((checks + 1))
if [ -f "$SPOOL/hold/$qid" ] && [ ! -e "$SPOOL/incoming/$qid" ]; then
    echo "ok: HOLD: file in hold/"
else
    echo "FAILED: HOLD: $qid not in hold/"
    failures=$((failures + 1))
fi
check_log "HOLD: logged" "$qid: hold: header X-Test: hold $ORIGIN: held for review"

msg discard discard
check_text "DISCARD: accepted" "queue_id: $qid
status: 0 
" "$tmp/discard.out"
no_file "DISCARD"
check_log "DISCARD: logged" "$qid: discard: header X-Test: discard $ORIGIN: dropped"

msg bcc bcc
dump bcc
grep -E '^(original_)?recipient: ' "$tmp/bcc.dump" >"$tmp/bcc.rcpts"
check_text "BCC: recipient added" "original_recipient: rcpt@example.test
recipient: rcpt@example.test
original_recipient: copy@example.test
recipient: copy@example.test
" "$tmp/bcc.rcpts"

msg filter filter
dump filter
sed -n '/^extracted_info/,$p' "$tmp/filter.dump" >"$tmp/filter.xtra"
check_text "FILTER: recorded in the extracted section" "extracted_info: 
named_attribute: content_filter=smtp:[127.0.0.1]:10025
message_end: 
" "$tmp/filter.xtra"

msg redirect redirect
dump redirect
sed -n '/^extracted_info/,$p' "$tmp/redirect.dump" >"$tmp/redirect.xtra"
check_text "REDIRECT: recorded in the extracted section" "extracted_info: 
named_attribute: redirect_to=elsewhere@example.test
message_end: 
" "$tmp/redirect.xtra"
check_log "REDIRECT: logged" "$qid: redirect: header X-Test: redirect $ORIGIN: elsewhere@example.test"

for word in dunno ok bogus; do
    msg "$word" "$word"
    content "$word"
    check_text "$word: message unchanged" "message_content: 
regular_text: From: s@client.test
regular_text: X-Test: $word
regular_text: Subject: t
regular_text: 
regular_text: body
extracted_info: 
message_end: 
" "$tmp/$word.content"
done
check_log "unknown action: warned" "unknown header_checks action: \"FROBNICATE\""

# body_checks
msg body1 none "$(printf 'line 1\nBODY-WARN x\nBODY-IGNORE y\nBODY-REPLACE z\nBODY-PREPEND w\nlast')"
content body1
check_text "body: IGNORE, REPLACE and PREPEND" "message_content: 
regular_text: From: s@client.test
regular_text: X-Test: none
regular_text: Subject: t
regular_text: 
regular_text: line 1
regular_text: BODY-WARN x
regular_text: replaced line
regular_text: a line before
regular_text: BODY-PREPEND w
regular_text: last
extracted_info: 
message_end: 
" "$tmp/body1.content"
check_log "body: WARN logged" "$qid: warning: body BODY-WARN x $ORIGIN: body warned"

msg body2 none "$(printf 'ok\nBODY-REJECT now')"
check_text "body: REJECT with status" "queue_id: $qid
status: 8 5.7.0 body says no
" "$tmp/body2.out"
no_file "body REJECT"

# --- MIME: part headers (mime_header_checks = \$header_checks), attached
# message headers (nested_header_checks), body lines of parts (body_checks);
# a header-like line in a part's body is body, not a header.
mime() {
    {
        printf 'From: s@client.test\nSubject: t\nMIME-Version: 1.0\n'
        printf 'Content-Type: multipart/mixed;\n\tboundary="b1"\n\npreamble\n--b1\n'
        printf 'Content-Type: text/plain\nX-Part: ignore\n\nX-Part: ignore\nBODY-IGNORE\n--b1\n'
        printf '%s\n' "$2"
        printf '\n--b1--\nepilogue\n'
    } >"$tmp/in"
    submit "$1" -f s@client.test -a rewrite_context=remote -a client_name=client.test \
        -a client_address=192.0.2.1 -a helo_name=helo.test -a protocol_name=ESMTP \
        -r rcpt@example.test <"$tmp/in"
}
mime mime1 "$(printf 'Content-Type: message/rfc822\n\nSubject: nested-secret\nX-Part: ignore\n\nnested body')"
content mime1
check_text "MIME: part header ignored, body lines of parts checked as body" "message_content: 
regular_text: From: s@client.test
regular_text: Subject: t
regular_text: MIME-Version: 1.0
regular_text: Content-Type: multipart/mixed;
regular_text: ?boundary=\"b1\"
regular_text: 
regular_text: preamble
regular_text: --b1
regular_text: Content-Type: text/plain
regular_text: 
regular_text: X-Part: ignore
regular_text: --b1
regular_text: Content-Type: message/rfc822
regular_text: 
regular_text: Subject: nested-secret
regular_text: 
regular_text: nested body
regular_text: 
regular_text: --b1--
regular_text: epilogue
extracted_info: 
message_end: 
" "$tmp/mime1.content"
check_log "MIME: nested header checked" "$qid: warning: header Subject: nested-secret $ORIGIN: nested subject"

mime mime2 "$(printf 'Content-Type: application/octet-stream\nContent-Disposition: attachment; filename="evil.exe"\n\nAAAA')"
check_text "MIME: attachment rejected by a part header" "queue_id: $qid
status: 8 5.7.1 bad attachment
" "$tmp/mime2.out"
no_file "MIME reject"

# body_checks_size_limit (51200 by default): a line after the first 51200
# body bytes is not looked at, one before it is, whatever the chunking.
{
    printf 'From: s@client.test\nSubject: t\n\nBODY-IGNORE early\n'
    for _ in $(seq 1000); do printf '%099d\n' 0; done
    printf 'BODY-IGNORE late\n'
} >"$tmp/in"
submit sizelimit -f s@client.test -r rcpt@example.test <"$tmp/in"
dump sizelimit
grep -c 'BODY-IGNORE' "$tmp/sizelimit.dump" >"$tmp/sizelimit.n"
grep -c 'BODY-IGNORE late' "$tmp/sizelimit.dump" >>"$tmp/sizelimit.n"
check_text "body_checks_size_limit: only the late line kept" "1
1
" "$tmp/sizelimit.n"

# A local submission gets "from local" in the log line.
printf 'Subject: t\nX-Test: warn\n\nbody\n' >"$tmp/in"
submit local -f bob -F 9 -a uid=42 -a rewrite_context=local -r rcpt@example.test <"$tmp/in"
check_log "local: origin logged as local" "$qid: warning: header X-Test: warn from local; from=<bob@mx.example.test> to=<rcpt@example.test>: warned"

no_bad_logs checks
finish
