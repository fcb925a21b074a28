# queue_tools_list.sh - postqueue -p/-j, mailq, the filters and postcat on
# the queue of queue-listing.txt (active, hold, three deferred messages
# with deferral reasons from their defer logs), compared with Postfix's
# output (fixtures/queue_tools, IDs and sizes masked):
#   with the mail system down: the same listing read directly, with
#     Postfix's warning; postqueue -f fails with exit 69;
#   with the instance running: the listing through showq; as an ordinary
#     user too (who cannot read the queue files) when run as root;
#   mailq, sendmail -bp and sendmail as "mailq" (exec postqueue -p);
#   -S/-R/-D/-A filters, and their output fed to postsuper -d -;
#   postcat -q: layout lines, -h, -b, unknown ID; the empty queue.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/queue_tools_lib.sh"

QT_SHOWQ_ONLY=1 # no qmgr: the queue stays as built while it is listed
qt_instance ql
fill_reference_queue
normalize_listing "$QT_FIXTURES/list.ref" >"$tmp/list.want"
normalize_listing "$QT_FIXTURES/json.ref" >"$tmp/json.want"

# --- mail system down: direct access, Postfix's warning --------------------
"$POSTQUEUE" -c "$inst" -p >"$tmp/p.out" 2>"$tmp/p.err"
check_status "down: postqueue -p" 0 $?
normalize_listing "$tmp/p.out" >"$tmp/p.norm"
check_same "down: postqueue -p listing" "$tmp/list.want" "$tmp/p.norm"
check_text "down: warning" "postqueue: warning: Mail system is down -- accessing queue directly (Connect to the postern showq service: No such file or directory)
" "$tmp/p.err"
"$POSTQUEUE" -c "$inst" -j >"$tmp/j.out" 2>/dev/null
normalize_listing "$tmp/j.out" >"$tmp/j.norm"
check_same "down: postqueue -j" "$tmp/json.want" "$tmp/j.norm"
"$POSTQUEUE" -c "$inst" -f >"$tmp/f.out" 2>"$tmp/f.err"
check_status "down: postqueue -f" 69 $?
check_text "down: postqueue -f message" "postqueue: fatal: Cannot flush mail queue - mail system is down
" "$tmp/f.err"

"$POSTQUEUE" -c "$inst" -s refused.example.test >"$tmp/s.out" 2>"$tmp/s.err"
check_status "postqueue -s (not in fast_flush_domains)" 69 $?
check_text "postqueue -s message" "postqueue: fatal: Flush service is not configured for destination \"refused.example.test\"
" "$tmp/s.err"

# --- running: through showq ----------------------------------------------------
qt_start
"$POSTQUEUE" -c "$inst" -p >"$tmp/p2.out" 2>"$tmp/p2.err"
check_status "up: postqueue -p" 0 $?
normalize_listing "$tmp/p2.out" >"$tmp/p2.norm"
check_same "up: postqueue -p listing" "$tmp/list.want" "$tmp/p2.norm"
check_text "up: no warning" "" "$tmp/p2.err"
"$POSTQUEUE" -c "$inst" -j >"$tmp/j2.out" 2>&1
normalize_listing "$tmp/j2.out" >"$tmp/j2.norm"
check_same "up: postqueue -j" "$tmp/json.want" "$tmp/j2.norm"
# mailq: the postqueue binary under that name
ln -s "$POSTQUEUE" "$tmp/mailq"
MAIL_CONFIG=$inst "$tmp/mailq" >"$tmp/m.out" 2>&1
normalize_listing "$tmp/m.out" >"$tmp/m.norm"
check_same "up: mailq" "$tmp/list.want" "$tmp/m.norm"
# sendmail -bp and sendmail as "mailq" exec command_directory/postqueue -p
SENDMAIL=$top_builddir/src/sendmail/sendmail
MAIL_CONFIG=$inst "$SENDMAIL" -bp >"$tmp/sm.out" 2>&1
normalize_listing "$tmp/sm.out" >"$tmp/sm.norm"
check_same "up: sendmail -bp" "$tmp/list.want" "$tmp/sm.norm"
mkdir "$tmp/bin" && ln -s "$SENDMAIL" "$tmp/bin/mailq"
MAIL_CONFIG=$inst "$tmp/bin/mailq" >"$tmp/sm2.out" 2>&1
normalize_listing "$tmp/sm2.out" >"$tmp/sm2.norm"
check_same "up: sendmail invoked as mailq" "$tmp/list.want" "$tmp/sm2.norm"
if [ "$(id -u)" = 0 ]; then
    # An ordinary user lists through showq without access to the files
    # (postqueue installed set-gid setgid_group reaches public/ as this
    # supplementary group does).
    setpriv --reuid=nobody --regid=nogroup --groups="$(getent group postdrop | cut -d: -f3)" -- \
        "$POSTQUEUE" -c "$inst" -p >"$tmp/u.out" 2>"$tmp/u.err"
    check_status "user: postqueue -p" 0 $?
    normalize_listing "$tmp/u.out" >"$tmp/u.norm"
    check_same "user: listing through showq" "$tmp/list.want" "$tmp/u.norm"
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
        "$POSTSUPER" -c "$inst" -d ALL >"$tmp/u2.out" 2>"$tmp/u2.err"
    check_status "user: postsuper refused" 1 $?
    check_text "user: postsuper message" "postsuper: fatal: use of this command is reserved for the superuser
" "$tmp/u2.err"
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
        "$POSTCAT" -c "$inst" -q "$(cat "$tmp/id.D1")" >/dev/null 2>"$tmp/u3.err"
    check_status "user: postcat refused" 1 $?
fi

# --- filters --------------------------------------------------------------------
"$POSTQUEUE" -c "$inst" -j -S "<>" >"$tmp/s.out"
check_status "filter -S <>: one message" 1 "$(wc -l <"$tmp/s.out")"
grep -q "\"queue_id\": \"$(cat "$tmp/id.D2")\"" "$tmp/s.out"
check_status "filter -S <>: the null-sender message" 0 $?
"$POSTQUEUE" -c "$inst" -j -D refused.example.test >"$tmp/d.out"
check_status "filter -D: two messages" 2 "$(wc -l <"$tmp/d.out")"
"$POSTQUEUE" -c "$inst" -j -R alice@MX.example.test >"$tmp/r.out"
check_status "filter -R: one message" 1 "$(wc -l <"$tmp/r.out")"
age=$(($(date +%s) - ARRIVAL)) # the messages' age (ARRIVAL is fixed)
if [ "$age" -gt 120 ]; then
    "$POSTQUEUE" -c "$inst" -j -A $((age - 60)) >"$tmp/a.out"
    check_status "filter -A just younger than the messages: all five" 5 "$(wc -l <"$tmp/a.out")"
fi
"$POSTQUEUE" -c "$inst" -j -A $((age + 3600))s >"$tmp/a2.out"
check_status "filter -A older than the messages: none" 0 "$(wc -l <"$tmp/a2.out")"
"$POSTQUEUE" -c "$inst" -p -D example.test -S sender@client.example.test >"$tmp/c.out"
check_status "filters compose: -D and -S" 2 "$(grep -c '^[0-9A-Za-z]' "$tmp/c.out")"

# --- postcat ----------------------------------------------------------------------
d1=$(cat "$tmp/id.D1")
"$POSTCAT" -c "$inst" -q "$d1" >"$tmp/pc.out" 2>"$tmp/pc.err"
check_status "postcat -q" 0 $?
hash=$(head -1 "$tmp/pc.out" | sed -n 's|^\*\*\* ENVELOPE RECORDS deferred/\(.\)/.*|\1|p')
{
    echo "*** ENVELOPE RECORDS deferred/$hash/$d1 ***"
    echo "*** MESSAGE CONTENTS deferred/$hash/$d1 ***"
    echo "*** HEADER EXTRACTED deferred/$hash/$d1 ***"
    echo "*** MESSAGE FILE END deferred/$hash/$d1 ***"
} >"$tmp/pc.want"
grep '^\*\*\*' "$tmp/pc.out" >"$tmp/pc.markers"
check_same "postcat -q: section lines" "$tmp/pc.want" "$tmp/pc.markers"
checks=$((checks + 1))
if grep -Eq '^message_size: +[0-9]+ +[0-9]+ +4 +0 +[0-9]+ +0$' "$tmp/pc.out" &&
    grep -qx 'message_arrival_time: Sun Nov 22 04:42:23 2026' "$tmp/pc.out" &&
    grep -qx 'sender: sender@client.example.test' "$tmp/pc.out" &&
    grep -qx 'original_recipient: s2@sink451.example.test' "$tmp/pc.out" &&
    grep -qx 'named_attribute: dsn_orig_rcpt=rfc822;r1@refused.example.test' "$tmp/pc.out" &&
    grep -qx 'recipient: r1@refused.example.test' "$tmp/pc.out"; then
    echo "ok: postcat -q: envelope records"
else
    echo "FAILED: postcat -q: envelope records"
    head -20 "$tmp/pc.out"
    failures=$((failures + 1))
fi
"$POSTCAT" -c "$inst" -h -q "$d1" >"$tmp/pch.out"
check_text "postcat -h" "From: <sender@client.example.test>
To: <r1@refused.example.test>
Subject: queue-fill
" "$tmp/pch.out"
"$POSTCAT" -c "$inst" -b -q "$d1" >"$tmp/pcb.out"
check_text "postcat -b" "
Body of queue-fill.
" "$tmp/pcb.out"
"$POSTCAT" -c "$inst" -v -q "$d1" >"$tmp/pcv.out"
check_status "postcat -v: content records named" 5 "$(grep -c '^regular_text: ' "$tmp/pcv.out")"
"$POSTCAT" -c "$inst" -e -q "$d1" >"$tmp/pce.out"
checks=$((checks + 1))
if grep -q '^recipient: ' "$tmp/pce.out" && ! grep -q '^Subject:' "$tmp/pce.out" &&
    [ "$(grep -c '^\*\*\*' "$tmp/pce.out")" = 4 ]; then
    echo "ok: postcat -e: envelope and section lines only"
else
    echo "FAILED: postcat -e"
    failures=$((failures + 1))
fi
"$POSTCAT" -c "$inst" -q ABCDEF12345 >"$tmp/pcn.out" 2>"$tmp/pcn.err"
check_status "postcat -q unknown" 1 $?
check_text "postcat -q unknown: message" "$POSTCAT: fatal: open queue file ABCDEF12345: No such file or directory
" "$tmp/pcn.err"
"$POSTCAT" -c "$inst" -o -q "$d1" >"$tmp/pco.out"
checks=$((checks + 1))
if grep -Eq '^ +[0-9]+ recipient: r1@refused.example.test$' "$tmp/pco.out"; then
    echo "ok: postcat -o offsets"
else
    echo "FAILED: postcat -o offsets"
    failures=$((failures + 1))
fi

# --- filters composed with postsuper -d -, then the empty queue ------------------
"$POSTQUEUE" -c "$inst" -p -S "<>" | "$POSTSUPER" -c "$inst" -d - >"$tmp/del.out" 2>"$tmp/del.err"
check_text "postqueue -p -S <> | postsuper -d -" "postsuper: $(cat "$tmp/id.D2"): removed
postsuper: Deleted: 1 message
" "$tmp/del.err"
"$POSTSUPER" -c "$inst" -d ALL >/dev/null 2>"$tmp/all.err"
tail -1 "$tmp/all.err" >"$tmp/all.last"
check_text "postsuper -d ALL: summary" "postsuper: Deleted: 4 messages
" "$tmp/all.last"
"$POSTQUEUE" -c "$inst" -p >"$tmp/e.out" 2>&1
check_same "empty queue" "$QT_FIXTURES/empty.ref" "$tmp/e.out"
"$POSTQUEUE" -c "$inst" -j >"$tmp/ej.out" 2>&1
check_text "empty queue -j" "" "$tmp/ej.out"
checks=$((checks + 1))
if grep -Eq "AddressSanitizer|runtime error|panic" "$inst/maillog"; then
    echo "FAILED: sanitizer or panic in the log"
    failures=$((failures + 1))
else
    echo "ok: no sanitizer report or panic"
fi
qt_stop
finish
