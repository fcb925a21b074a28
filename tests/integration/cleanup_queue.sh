# cleanup_queue.sh - the cleanup daemon in a real instance: messages are
# submitted over its socket with tests/helpers/cleanup-submit (the client
# library smtpd and pickup use) and the queue files it writes in incoming/
# are read back with tests/helpers/queue-dump (the queue file reader).
#
# Checks: envelope records (attributes, sender, DSN, original recipients,
# duplicates removed), dropped headers (Return-Path, Bcc, Content-Length),
# the headers added for local submissions in Postfix's exact format,
# recipient extraction (sendmail -t, Resent-*), the size, hop and
# no-recipient errors leaving no file behind, early disconnects and
# protocol errors, and kill -9 of cleanup in the middle of a message: the
# file never gets the complete bit, and the next cleanup process removes it.
# Runs as any user: as root the instance uses mail_owner's defaults.
. "$top_srcdir/tests/integration/lib.sh"

POSTERN=$top_builddir/src/postern/postern
SUBMIT=$top_builddir/tests/helpers/cleanup-submit
DUMP=$top_builddir/tests/helpers/queue-dump
inst=$(instance cleanup)
chmod 755 "$tmp"
mkdir -p "$inst/libexec"
ln -s "$top_builddir/daemons/master/master" "$inst/libexec/master"
ln -s "$top_builddir/daemons/cleanup/cleanup" "$inst/libexec/cleanup"
{
    echo "compatibility_level = 3.6"
    echo "queue_directory = $inst/spool"
    echo "data_directory = $inst/data"
    echo "daemon_directory = $inst/libexec"
    echo "maillog_file = $inst/maillog"
    echo "maillog_file_prefixes = $tmp"
    echo "myhostname = mx.example.test"
    echo "mydomain = example.test"
    echo "message_size_limit = 100000"
    echo "hopcount_limit = 5"
    if [ "$(id -u)" != 0 ]; then
        echo "mail_owner = $(id -un)"
        echo "setgid_group = $(id -gn)"
    fi
} >"$inst/main.cf"
echo "cleanup   unix  n       -       n       -       0       cleanup" >"$inst/master.cf"
SOCK=$inst/spool/public/cleanup
INCOMING=$inst/spool/incoming

"$POSTERN" -c "$inst" start >"$tmp/start.out" 2>&1
check_status "postern start" 0 $?
# Never leave the instance running, whatever stops this script.
trap '"$POSTERN" -c "$inst" stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done

# submit NAME [cleanup-submit options] < content: runs the helper, keeps its
# output in $tmp/NAME.out and the queue ID in $qid.
submit() {
    name=$1
    shift
    "$SUBMIT" "$@" "$SOCK" >"$tmp/$name.out" 2>"$tmp/$name.err"
    qid=$(sed -n 's/^queue_id: //p' "$tmp/$name.out")
}

# dump NAME [-e]: the queue file of $qid, with times, sizes, the queue ID
# and dates replaced by placeholders so that it can be compared.
dump() {
    "$DUMP" ${2:-} "$INCOMING/$qid" |
        sed -e "s/$qid/QID/g" \
            -e 's/^\(message_size\|message_arrival_time\|create_time\): .*/\1: X/' \
            -e 's/[A-Z][a-z][a-z], [ 0-9][0-9] [A-Z][a-z][a-z] 20[0-9][0-9] [0-9:]* [-+][0-9]\{4\}\( ([A-Za-z0-9+-]*)\)\{0,1\}/DATE/' \
            -e 's/<20[0-9]\{12\}\.QID@/<STAMP.QID@/' >"$tmp/$1.dump"
}

# no_file NAME: the message must have left nothing in the queue.
no_file() {
    checks=$((checks + 1))
    if [ -n "$qid" ] && [ ! -e "$INCOMING/$qid" ]; then
        echo "ok: $1: no queue file"
    else
        echo "FAILED: $1: queue file ${qid:-?} exists"
        failures=$((failures + 1))
    fi
}

# check_log NAME PATTERN: maillog has a line matching the extended regexp.
check_log() {
    checks=$((checks + 1))
    for _ in $(seq 30); do grep -Eq "$2" "$inst/maillog" && break; sleep 0.1; done
    if grep -Eq "$2" "$inst/maillog"; then
        echo "ok: $1"
    else
        echo "FAILED: $1: no log line matching $2"
        tail -20 "$inst/maillog"
        failures=$((failures + 1))
    fi
}

# --- 1. SMTP-style message: drop headers, duplicates, DSN, attributes ------
printf 'Received: from client.example.test (localhost [127.0.0.1])\n\tby mx.example.test (postern) with ESMTP id X\nReturn-Path: <forged@x>\nFrom: Sender <s@client.example.test>\nTo: Alice <alice@mx.example.test>\nBcc: hidden@x\nContent-Length: 42\nMessage-ID: <m1@client.example.test>\nSubject: one\n\nbody line\n.dot\n' >"$tmp/in"
submit smtp -f s@client.example.test -a rewrite_context=remote -a client_address=127.0.0.1 \
    -a helo_name=client.example.test -a protocol_name=ESMTP -e ENV-1 -R 2 \
    -r alice@mx.example.test -r alice@mx.example.test -N 6 -r 'bob@x.example,rfc822;bob@x.example' \
    -r 'bob@x.example,rfc822;bob@x.example' -N 0 -r 'bob@x.example' <"$tmp/in"
check_text "smtp: status" "queue_id: $qid
status: 0 
" "$tmp/smtp.out"
dump smtp
check_text "smtp: queue file" "mode: complete
queue_file_version: postern-queue 1
message_size: X
message_arrival_time: X
create_time: X
named_attribute: rewrite_context=remote
named_attribute: client_address=127.0.0.1
named_attribute: helo_name=client.example.test
named_attribute: protocol_name=ESMTP
sender: s@client.example.test
dsn_envelope_id: ENV-1
dsn_return_flags: 2
original_recipient: alice@mx.example.test
recipient: alice@mx.example.test
named_attribute: dsn_orig_rcpt=rfc822;bob@x.example
dsn_notify_flags: 6
original_recipient: bob@x.example
recipient: bob@x.example
original_recipient: bob@x.example
recipient: bob@x.example
message_content: 
regular_text: Received: from client.example.test (localhost [127.0.0.1])
regular_text: ?by mx.example.test (postern) with ESMTP id X
regular_text: From: Sender <s@client.example.test>
regular_text: To: Alice <alice@mx.example.test>
regular_text: Message-ID: <m1@client.example.test>
regular_text: Subject: one
regular_text: 
regular_text: body line
regular_text: .dot
extracted_info: 
message_end: 
" "$tmp/smtp.dump"
check_log "smtp: message-id logged" "postern/cleanup\[[0-9]+\]: $qid: message-id=<m1@client.example.test>$"

# --- 2. local submission (sendmail -t as bob): Postfix's added headers -------
printf 'To: alice@mx.example.test\nSubject: via sendmail -t\n\nHello from bob via sendmail -t.\n' >"$tmp/in"
submit local -f bob -F 9 -a uid=42002 -a 'full_name=Test Bob' -a rewrite_context=local <"$tmp/in"
dump local
check_text "local: queue file" "mode: complete
queue_file_version: postern-queue 1
message_size: X
message_arrival_time: X
create_time: X
named_attribute: uid=42002
named_attribute: full_name=Test Bob
named_attribute: rewrite_context=local
sender: bob@mx.example.test
message_content: 
regular_text: Received: by mx.example.test (postern, from userid 42002)
regular_text: ?id QID; DATE
regular_text: To: alice@mx.example.test
regular_text: Subject: via sendmail -t
regular_text: Message-Id: <STAMP.QID@mx.example.test>
regular_text: Date: DATE
regular_text: From: Test Bob <bob@mx.example.test>
regular_text: 
regular_text: Hello from bob via sendmail -t.
extracted_info: 
original_recipient: alice@mx.example.test
recipient: alice@mx.example.test
message_end: 
" "$tmp/local.dump"
check_log "local: added message-id logged" "$qid: message-id=<20[0-9]{12}\.$qid@mx\.example\.test>$"
# The exact bytes of the date: "Sun, 22 Nov 2026 04:46:11 +0000 (UTC)".
"$DUMP" "$INCOMING/$qid" | grep -E '^regular_text: Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [ 1-3][0-9] (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20[0-9][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [-+][0-9]{4}( \([A-Za-z0-9+-]+\))?$' >"$tmp/local.date"
check_status "local: RFC 5322 date" 0 $?

# --- 2b/2c. no headers at all; a From: already present --------------------
printf 'just a body line\n' >"$tmp/in"
submit nohdr -f bob -F 8 -a uid=42002 -r carol <"$tmp/in"
dump nohdr
sed -n '/^message_content/,$p' "$tmp/nohdr.dump" >"$tmp/nohdr.content"
check_text "no headers: added headers, then an empty line" "message_content: 
regular_text: Received: by mx.example.test (postern, from userid 42002)
regular_text: ?id QID; DATE
regular_text: Message-Id: <STAMP.QID@mx.example.test>
regular_text: Date: DATE
regular_text: From: bob@mx.example.test
regular_text: 
regular_text: just a body line
extracted_info: 
message_end: 
" "$tmp/nohdr.content"
grep -c '^original_recipient: carol$' "$tmp/nohdr.dump" >"$tmp/nohdr.n"
check_text "no headers: bare recipient gets @myorigin, original kept" "1
" "$tmp/nohdr.n"

printf 'From: bob@mx.example.test\nSubject: with -f -F\n\nline before\n.\nline after' >"$tmp/in"
submit withfrom -f bob@mx.example.test -F 8 -a uid=42002 -a 'full_name=Bob The Sender' -r carol@mx.example.test <"$tmp/in"
dump withfrom
sed -n '/^message_content/,$p' "$tmp/withfrom.dump" >"$tmp/withfrom.content"
check_text "From present: not added; last line without LF kept" "message_content: 
regular_text: Received: by mx.example.test (postern, from userid 42002)
regular_text: ?id QID; DATE
regular_text: From: bob@mx.example.test
regular_text: Subject: with -f -F
regular_text: Message-Id: <STAMP.QID@mx.example.test>
regular_text: Date: DATE
regular_text: 
regular_text: line before
regular_text: .
regular_text: line after
extracted_info: 
message_end: 
" "$tmp/withfrom.content"

# The full name is trimmed and quoted when it is not plain words; the
# null sender is MAILER-DAEMON.
printf 'Subject: names\n\nx\n' >"$tmp/in"
submit quoted -f 'a b@mx.example.test' -F 8 -a 'full_name=  Bob J. Smith  ' -r carol <"$tmp/in"
"$DUMP" "$INCOMING/$qid" | grep '^regular_text: From:' >"$tmp/quoted.from"
check_text "full name quoted, local part quoted" "regular_text: From: \"Bob J. Smith\" <\"a b\"@mx.example.test>
" "$tmp/quoted.from"
submit null -F 8 -r carol <"$tmp/in"
"$DUMP" "$INCOMING/$qid" | grep '^regular_text: From:' >"$tmp/null.from"
check_text "null sender: From: MAILER-DAEMON" "regular_text: From: MAILER-DAEMON
" "$tmp/null.from"

# Remote mail gets no added headers and no Received: by.
printf 'Subject: remote\n\nx\n' >"$tmp/in"
submit remote -f s@x.example -r alice@mx.example.test <"$tmp/in"
dump remote
sed -n '/^message_content/,$p' "$tmp/remote.dump" >"$tmp/remote.content"
check_text "remote: nothing added" "message_content: 
regular_text: Subject: remote
regular_text: 
regular_text: x
extracted_info: 
message_end: 
" "$tmp/remote.content"
check_log "remote: message-id=<> logged" "$qid: message-id=<>$"

# CLEANUP_FLAG_HOLD: the finished file goes to hold/, not incoming/.
printf 'Subject: held\n\nx\n' >"$tmp/in"
submit hold -f s@x.example -r alice@mx.example.test -F 4 <"$tmp/in"
"$DUMP" "$inst/spool/hold/$qid" | head -1 >"$tmp/hold.mode"
check_text "hold: finished file in hold/" "mode: complete
" "$tmp/hold.mode"
no_file "hold: nothing in incoming/"

# A line longer than line_length_limit (2048) is kept in record-sized pieces.
{ printf 'Subject: long\n\n'; head -c 5000 /dev/zero | tr '\0' b; printf '\nend\n'; } >"$tmp/in"
submit long -f s@x.example -r alice@mx.example.test <"$tmp/in"
dump long
sed -n '/^message_content/,$p' "$tmp/long.dump" | awk '{ print $1, length($0) }' >"$tmp/long.records"
check_text "long line: 2048-byte pieces" "message_content: 17
regular_text: 27
regular_text: 14
unterminated_text: 2067
unterminated_text: 2067
regular_text: 918
regular_text: 17
extracted_info: 16
message_end: 13
" "$tmp/long.records"

# --- 4. extraction: To/Cc/Bcc, Resent-*, Bcc kept with BCC_OK --------------
printf 'To: a@x.example, "Bee" <b@y.example>\nCc: team: c@z.example;\nBcc: d@w.example, a@x.example\nSubject: t\n\nx\n' >"$tmp/in"
submit extract -f bob@mx.example.test -F 1 -r d@w.example <"$tmp/in"
dump extract
grep -E '^(original_recipient|recipient|regular_text: Bcc)' "$tmp/extract.dump" >"$tmp/extract.rcpt"
check_text "extract: recipients from To/Cc/Bcc, duplicates once, Bcc dropped" "original_recipient: d@w.example
recipient: d@w.example
original_recipient: a@x.example
recipient: a@x.example
original_recipient: b@y.example
recipient: b@y.example
original_recipient: c@z.example
recipient: c@z.example
" "$tmp/extract.rcpt"

printf 'Resent-To: r@x.example\nResent-Bcc: s@x.example\nTo: a@x.example\nBcc: b@x.example\n\nx\n' >"$tmp/in"
submit resent -f bob@mx.example.test -F 3 <"$tmp/in"
dump resent
grep -E '^(recipient|regular_text: (Resent-)?Bcc)' "$tmp/resent.dump" >"$tmp/resent.rcpt"
check_text "extract: Resent- recipients replace the others; BCC_OK keeps Bcc" "regular_text: Resent-Bcc: s@x.example
regular_text: Bcc: b@x.example
recipient: r@x.example
recipient: s@x.example
" "$tmp/resent.rcpt"

# --- errors: size, hops, no recipients, protocol, early close --------------
head -c 150000 /dev/zero | tr '\0' 'a' | fold -w 70 >"$tmp/big"
submit size -f s@x.example -r alice@mx.example.test <"$tmp/big"
check_text "size: status" "queue_id: $qid
status: 4 5.3.4 Error: message file too big
" "$tmp/size.out"
no_file "size"

printf 'Received: 1\nReceived: 2\nDelivered-To: 3\nReceived: 4\nReceived: 5\nReceived: 6\n\nx\n' >"$tmp/in"
submit hops -f s@x.example -r alice@mx.example.test <"$tmp/in"
check_text "hops: status" "queue_id: $qid
status: 16 5.4.0 Error: too many hops
" "$tmp/hops.out"
no_file "hops"
printf 'Received: 1\nReceived: 2\nDelivered-To: 3\nReceived: 4\nReceived: 5\n\nx\n' >"$tmp/in"
submit hops5 -f s@x.example -r alice@mx.example.test <"$tmp/in"
check_text "hops: exactly hopcount_limit is fine" "queue_id: $qid
status: 0 
" "$tmp/hops5.out"

printf 'Subject: nobody\n\nx\n' >"$tmp/in"
submit norcpt -f s@x.example <"$tmp/in"
check_text "no recipients: status" "queue_id: $qid
status: 32 5.1.0 Error: no recipients specified
" "$tmp/norcpt.out"
no_file "no recipients"

printf 'x\n' >"$tmp/in"
submit proto -n <"$tmp/in"
check_text "protocol error: status" "queue_id: $qid
status: 128 4.3.0 Error: internal protocol error
" "$tmp/proto.out"
no_file "protocol error"
check_log "protocol error: warning names the queue ID" "warning: $qid: protocol error: end request before env"

submit abandon -f s@x.example -r alice@mx.example.test -k 100000 <"$tmp/big"
no_file "client went away"
check_log "client went away: warning names the queue ID" "warning: $qid: .*queue file removed"

# --- kill -9 of cleanup in the middle of a message -------------------------
submit killed -f s@x.example -r alice@mx.example.test -k 100000 -s 4 <"$tmp/big" &
submit_pid=$!
for _ in $(seq 50); do
    qid=$(sed -n 's/^queue_id: //p' "$tmp/killed.out" 2>/dev/null)
    [ -n "$qid" ] && [ -f "$INCOMING/$qid" ] && break
    sleep 0.1
done
sleep 1 # the first 64 KB of content reach cleanup
killed_qid=$qid
master_pid=$(sed 's/ //g' "$inst/spool/pid/master.pid")
cleanup_pid=$(ps -o pid=,comm= --ppid "$master_pid" | awk '$2 == "cleanup" { print $1 }')
[ -n "$cleanup_pid" ] && kill -9 $cleanup_pid
wait $submit_pid
"$DUMP" -e "$INCOMING/$killed_qid" | head -1 >"$tmp/killed.mode"
check_text "kill -9: the file has no complete bit" "mode: incomplete
" "$tmp/killed.mode"
"$DUMP" "$INCOMING/$killed_qid" >"$tmp/killed.refused"
check_status "kill -9: the reader refuses it" 1 $?
# A held message moves to hold/ just before its complete bit: a copy
# planted there stands for a cleanup killed between the two.
cp -p "$INCOMING/$killed_qid" "$inst/spool/hold/$killed_qid"
# The next cleanup process removes them once they are older than 5 seconds.
sleep 6
printf 'Subject: after\n\nx\n' >"$tmp/in"
submit after -f s@x.example -r alice@mx.example.test <"$tmp/in"
check_text "after kill -9: cleanup serves again" "queue_id: $qid
status: 0 
" "$tmp/after.out"
qid=$killed_qid
no_file "kill -9: unfinished file removed by the next cleanup"
check_log "kill -9: removal logged" "warning: $killed_qid: removed unfinished queue file"
checks=$((checks + 1))
if [ ! -e "$inst/spool/hold/$killed_qid" ] &&
    [ "$(grep -c "warning: $killed_qid: removed unfinished queue file" "$inst/maillog")" = 2 ]; then
    echo "ok: kill -9: the unfinished file in hold/ is removed too"
else
    echo "FAILED: kill -9: unfinished file in hold/ not removed"
    failures=$((failures + 1))
fi

# Nothing unfinished is left in incoming/.
find "$INCOMING" -type f ! -perm -u+x >"$tmp/incomplete"
check_text "no incomplete files left" "" "$tmp/incomplete"

"$POSTERN" -c "$inst" stop >"$tmp/stop.out" 2>&1
check_status "postern stop" 0 $?
grep -E 'cleanup.*(panic|fatal)|runtime error|AddressSanitizer' "$inst/maillog" "$tmp"/*.err >"$tmp/bad.log"
check_text "no fatal errors or sanitizer reports" "" "$tmp/bad.log"
finish
