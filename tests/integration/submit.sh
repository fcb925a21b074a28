#!/usr/bin/env bash
# submit.sh - local submission end to end on a running instance:
# sendmail -> postdrop -> maildrop/ -> pickup -> cleanup -> incoming/.
#
# Checks: the queue files of "sendmail -t", "sendmail carol" and "sendmail
# -oi -f -F" against shared/reference (fixtures/submit/*.expected); the
# pickup log line; -oi and the lone dot, CRLF, the mbox From_ line, -f <>,
# DSN options, address lists on the command line; newaliases through
# postalias; sendmail's errors and exit codes; postdrop's refusal of
# malformed input (nothing left behind);
# pickup moving malformed, foreign-record and hard-linked maildrop files to
# corrupt/ and leaving incomplete ones alone; a load of SUBMIT_LOAD
# (default 1000) messages with none lost and none doubled, and the fsync
# count of 50 messages when strace is there. As root, a throwaway user
# (useradd -M, removed at exit) submits through a set-gid copy of postdrop:
# the configuration directory rule, the reference bytes with the user's
# GECOS name, authorized_submit_users and local_login_sender_maps.
# The instance runs in non-root mode (as nobody when the test runs as
# root). Programs are found through command_directory, a folder of links
# into the build tree.

# This test creates users and files as root: refuse to run half set up.
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
. "$top_srcdir/tests/integration/lib.sh" || exit 1
. "$top_srcdir/tests/integration/instance_lib.sh" || exit 1

SENDMAIL=$top_builddir/src/sendmail/sendmail
POSTDROP=$top_builddir/src/postdrop/postdrop
DUMP=$top_builddir/tests/helpers/queue-dump
EXPECTED=$FIXTURES/submit
CORPUS=$top_srcdir/tests/fuzz/corpus/maildrop
LOAD=${SUBMIT_LOAD:-1000}

dir=$(make_instance submit cleanup pickup)
case $dir in /tmp/*/submit) ;; *) echo "FAILED: no instance directory"; exit 1 ;; esac
ln -sf "$top_builddir/daemons/cleanup/cleanup" "$dir/libexec/cleanup"
ln -sf "$top_builddir/daemons/pickup/pickup" "$dir/libexec/pickup"
mkdir -p "$dir/bin"
ln -s "$SENDMAIL" "$dir/bin/sendmail"
ln -s "$SENDMAIL" "$dir/bin/mailq"
ln -s "$SENDMAIL" "$dir/bin/newaliases"
ln -s "$top_builddir/src/postmap/postalias" "$dir/bin/postalias"
printf 'postmaster: root\nteam: alice, bob\n' >"$dir/etc/aliases"
ln -s "$POSTDROP" "$dir/bin/postdrop"
cat >>"$dir/etc/main.cf" <<EOF
compatibility_level = 3.6
command_directory = $dir/bin
mydomain = example.test
myorigin = \$myhostname
mydestination = \$myhostname, localhost
message_size_limit = 200000
alias_database = hash:$dir/etc/aliases
EOF
cat >"$dir/etc/master.cf" <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
EOF
[ "$(id -u)" = 0 ] && chown -R "$run_user:$run_group" "$dir"
MAILDROP=$dir/spool/maildrop
INCOMING=$dir/spool/incoming
CORRUPT=$dir/spool/corrupt
user=$run_user
uid=$(id -u "$run_user")

pst "$dir" start
check_status "postern start" 0 "$status"
check "pickup listens" wait_for 10 test -S "$dir/spool/public/pickup"

# sm [sendmail args] < input: runs sendmail as the instance user; stdout,
# stderr in $tmp/sm.out, $tmp/sm.err, the exit status in $status.
sm() {
    as_owner env MAIL_CONFIG="$dir/etc" NAME="Test Bob" "$dir/bin/sendmail" "$@" \
        >"$tmp/sm.out" 2>"$tmp/sm.err"
    status=$?
}

count() { find "$1" -maxdepth 1 -type f | wc -l; }
maildrop_empty() { [ "$(count "$MAILDROP")" = 0 ]; }
# Files in incoming/ that cleanup has finished (the owner-execute bit).
incoming_has() { [ "$(find "$INCOMING" -maxdepth 1 -type f -perm -u+x | wc -l)" -ge "$1" ]; }

# newest_after N: waits until incoming holds more than N files and maildrop
# is empty, then sets $qid to the file that is not in $tmp/seen.
seen_list() { ls "$INCOMING" | sort >"$tmp/seen"; }
newest() {
    local n
    n=$(wc -l <"$tmp/seen")
    wait_for 15 incoming_has $((n + 1)) && wait_for 15 maildrop_empty
    qid=$(ls "$INCOMING" | sort | comm -13 "$tmp/seen" - | head -1)
    seen_list
}

# normalised NAME USER UID: the envelope and content records of $qid with
# the placeholders of fixtures/submit/README; a line cut into pieces by
# cleanup (unterminated_text + regular_text) is joined again.
normalised() {
    "$DUMP" "$INCOMING/$qid" |
        awk '/^unterminated_text: / { part = part substr($0, 20); next }
             /^regular_text: / { print "regular_text: " part substr($0, 15); part = ""; next }
             /^(sender|original_recipient|recipient): / { print }' |
        sed -e "s/$qid/QID/g" \
            -e 's/[A-Z][a-z][a-z], [ 0-9][0-9] [A-Z][a-z][a-z] 20[0-9][0-9] [0-9:]* [-+][0-9]\{4\} ([A-Za-z0-9+-]*)/DATE/' \
            -e 's/<20[0-9]\{12\}\.QID@/<STAMP.QID@/' \
            -e "s/from userid $3)/from userid UID)/" \
            -e "s/\([ <]\)$2@mx\.example\.test/\1USER@mx.example.test/" >"$tmp/$1.got"
}

compare_reference() { # NAME EXPECTED-FILE USER UID
    normalised "$1" "$3" "$4"
    check_same "$1: queue file as in the reference" "$EXPECTED/$2" "$tmp/$1.got"
}

seen_list

# --- reference section 2: sendmail -t -------------------------------------
printf 'To: alice@mx.example.test\nSubject: via sendmail -t\n\nHello from bob via sendmail -t.\n' >"$tmp/in"
sm -t <"$tmp/in"
check_status "sendmail -t" 0 "$status"
check "sendmail -t: no output" test ! -s "$tmp/sm.out" -a ! -s "$tmp/sm.err"
newest
compare_reference sendmail-t sendmail-t.expected "$user" "$uid"
check "pickup logs the new queue ID, uid and bare sender" \
    log_has "$dir" "postern/pickup\[[0-9]+\]: $qid: uid=$uid from=<$user>\$"
size=$("$DUMP" "$INCOMING/$qid" | awk '/^message_size:/ { print $2 }')
# Postfix logged size=344 for bob (uid 42002): one "bob" in From:.
want=$((344 + ${#user} - 3 + ${#uid} - 5))
check "message size as in the reference ($size, expected $want)" test "$size" = "$want"

# --- section 2b: recipient on the command line, no headers ---------------
printf 'just a body line\n' >"$tmp/in"
sm carol <"$tmp/in"
check_status "sendmail carol" 0 "$status"
newest
compare_reference argv-rcpt argv-rcpt.expected "$user" "$uid"

# --- section 2c: -oi -f -F, a From: header and a lone dot ------------------
printf 'From: bob@mx.example.test\nSubject: with -f -F -oi\n\nline before\n.\nline after the lone dot\n' >"$tmp/in"
sm -oi -f bob@mx.example.test -F 'Bob The Sender' carol@mx.example.test <"$tmp/in"
check_status "sendmail -oi -f -F" 0 "$status"
newest
compare_reference f-F-oi f-F-oi.expected "$user" "$uid"

# --- input handling ----------------------------------------------------------
printf 'Subject: dot\n\nline before\n.\nline after the lone dot\n' >"$tmp/in"
sm carol <"$tmp/in"
check_status "without -i" 0 "$status"
newest
"$DUMP" "$INCOMING/$qid" >"$tmp/dot.dump"
check "without -i a lone dot ends the message" \
    sh -c "grep -q '^regular_text: line before\$' '$tmp/dot.dump' && ! grep -q 'line after' '$tmp/dot.dump'"

printf 'From someone Mon Jan  1 00:00:00 2024\r\nSubject: crlf\r\n\r\nbody\r\n..\r\n' >"$tmp/in"
sm carol <"$tmp/in"
check_status "CRLF input" 0 "$status"
newest
"$DUMP" "$INCOMING/$qid" >"$tmp/crlf.dump"
check "CRLF becomes LF, the From_ line goes, .. stays" \
    sh -c "grep -q '^regular_text: Subject: crlf\$' '$tmp/crlf.dump' &&
           grep -q '^regular_text: ..\$' '$tmp/crlf.dump' &&
           ! grep -q 'someone' '$tmp/crlf.dump' && ! grep -q \$'\\r' '$tmp/crlf.dump'"

printf 'Subject: null sender\n\nx\n' >"$tmp/in"
sm -f '<>' -N success,delay -R hdrs -V env-42 'a@example.test, Bob <b@example.test>' '"q u"@example.test' <"$tmp/in"
check_status "-f <> with DSN options and an address list" 0 "$status"
newest
"$DUMP" "$INCOMING/$qid" >"$tmp/dsn.dump"
check "null sender" grep -qx 'sender: ' "$tmp/dsn.dump"
check "three recipients from two arguments" \
    test "$(grep -c '^recipient: ' "$tmp/dsn.dump")" = 3
check "quoted local part unquoted" grep -qx 'recipient: q u@example.test' "$tmp/dsn.dump"
check "DSN NOTIFY, RET and ENVID" \
    sh -c "grep -qx 'dsn_notify_flags: 10' '$tmp/dsn.dump' && grep -qx 'dsn_return_flags: 2' '$tmp/dsn.dump' &&
           grep -qx 'dsn_envelope_id: env-42' '$tmp/dsn.dump'"
check "pickup logs the null sender" log_has "$dir" "$qid: uid=$uid from=<>\$"

# --- sendmail errors ---------------------------------------------------------
printf 'x\n' >"$tmp/in"
sm <"$tmp/in"
check_status "no recipients" 75 "$status"
check "no recipients: message" grep -q "sendmail: fatal: $user($uid): Recipient addresses must be specified on the command line or via the -t option" "$tmp/sm.err"
printf 'Subject: nobody to send to\n\nx\n' >"$tmp/in"
sm -t <"$tmp/in"
check_status "-t without recipient headers" 75 "$status"
check "-t without recipients: message" grep -q "fatal: $user($uid): No recipient addresses found in message header" "$tmp/sm.err"
check "-t without recipients: postdrop said nothing" test "$(grep -c postdrop "$tmp/sm.err")" = 0
check "-t without recipients: nothing left in maildrop" wait_for 5 maildrop_empty
printf 'x\n' >"$tmp/in"
sm -z alice <"$tmp/in"
check_status "invalid option" 75 "$status"
check "invalid option: message" sh -c "grep -q \"sendmail: warning: invalid option -- 'z'\" '$tmp/sm.err' && grep -q 'sendmail: fatal: usage: sendmail \[options\]' '$tmp/sm.err'"
head -c 300000 /dev/zero | tr '\0' 'x' | fold -w 100 >"$tmp/in"
sm alice <"$tmp/in"
check_status "message over message_size_limit" 65 "$status"
check "too large: message" grep -q 'fatal: message too large: more than 200000 bytes (message_size_limit)' "$tmp/sm.err"
check "too large: nothing left in maildrop" wait_for 5 maildrop_empty
sm -bs </dev/null
check_status "-bs without smtpd" 69 "$status"
check "-bs: message" grep -q 'needs postern.s smtpd, which is not installed' "$tmp/sm.err"
sm -bv alice </dev/null
check_status "-bv" 69 "$status"
as_owner env MAIL_CONFIG="$dir/etc" "$dir/bin/mailq" >"$tmp/sm.out" 2>"$tmp/sm.err"
check_status "mailq without postqueue" 69 $?
check "mailq: message" grep -q 'mailq: fatal: cannot list the queue: postqueue is not installed' "$tmp/sm.err"
as_owner env MAIL_CONFIG="$dir/etc" "$dir/bin/newaliases" >"$tmp/sm.out" 2>"$tmp/sm.err"
check_status "newaliases runs postalias on alias_database" 0 $?
check "newaliases built the table" test -s "$dir/etc/aliases.db"
sm -q30m </dev/null
check_status "-q30m is accepted and does nothing" 0 "$status"

# --- postdrop on its own -------------------------------------------------------
pd() { # pd NAME < input
    as_owner env MAIL_CONFIG="$dir/etc" "$dir/bin/postdrop" -r >"$tmp/pd.out" 2>"$tmp/pd.err"
    status=$?
}
printf 'this is not a record stream' >"$tmp/in"
pd <"$tmp/in"
check_status "postdrop: garbage" 65 "$status"
check "postdrop: garbage: message" grep -q 'postdrop: fatal: malformed input' "$tmp/pd.err"
pd </dev/null
check_status "postdrop: empty input" 65 "$status"
pd <"$CORPUS/stream_done_record"
check_status "postdrop: a done_recipient record" 65 "$status"
check "postdrop: forbidden record named" grep -q 'done_recipient record not allowed in a maildrop file' "$tmp/pd.err"
pd <"$CORPUS/stream_truncated"
check_status "postdrop: truncated input" 65 "$status"
check "postdrop: nothing left behind" wait_for 5 maildrop_empty
pd <"$CORPUS/stream_good"
check_status "postdrop: a well-formed stream" 0 "$status"
newest
check "postdrop's stream reaches incoming" log_has "$dir" "$qid: uid=$uid from=<bob>\$"
as_owner "$dir/bin/postdrop" -x </dev/null >/dev/null 2>"$tmp/pd.err"
check_status "postdrop: bad option" 64 $?

# --- pickup and bad maildrop files ------------------------------------------
# drop NAME SOURCE MODE: a file put into maildrop/ by hand.
drop() {
    as_owner cp "$2" "$MAILDROP/$1"
    as_owner chmod "$3" "$MAILDROP/$1"
}
printf 'garbage\n' >"$tmp/garbage"
chmod 644 "$tmp/garbage"
drop 0000A1 "$tmp/garbage" 744
drop 0000A2 "$CORPUS/file_bad_filter" 744
drop 0000A3 "$CORPUS/file_good_argv_rcpt" 744
as_owner ln "$MAILDROP/0000A3" "$MAILDROP/0000A4"
drop 0000A6 "$CORPUS/file_good_argv_rcpt" 600
drop 0000A7 "$CORPUS/file_good_argv_rcpt" 766
printf 'Subject: trigger\n\nx\n' >"$tmp/in"
sm carol <"$tmp/in"
check_status "a submission triggers pickup" 0 "$status"
corrupted() { [ -e "$CORRUPT/0000A1" ] && [ -e "$CORRUPT/0000A2" ] && [ -e "$CORRUPT/0000A3" ] &&
    [ -e "$CORRUPT/0000A4" ] && [ -e "$CORRUPT/0000A7" ]; }
check "malformed maildrop files go to corrupt/" wait_for 10 corrupted
check "garbage: warning" log_has "$dir" 'pickup\[[0-9]+\]: warning: 0000A1: corrupt queue file maildrop/0000A1: .*moved to corrupt'
check "forbidden record: warning" log_has "$dir" 'warning: 0000A2: corrupt queue file maildrop/0000A2: .*content_filter record not allowed in a maildrop file'
check "hard link: warning" log_has "$dir" 'warning: 0000A3: corrupt queue file maildrop/0000A3: file has more than one link'
check "group-writable: warning" log_has "$dir" 'warning: 0000A7: corrupt queue file maildrop/0000A7: file has set-id or group/other write permission'
check "an incomplete file is left alone" test -e "$MAILDROP/0000A6" -a ! -e "$CORRUPT/0000A6"
as_owner rm -f "$MAILDROP/0000A6"
seen_list

# --- load: none lost, none doubled ---------------------------------------
before=$(count "$INCOMING")
start=$(date +%s%N)
as_owner env MAIL_CONFIG="$dir/etc" LOAD="$LOAD" SM="$dir/bin/sendmail" bash -c '
    for i in $(seq "$LOAD"); do
        printf "To: alice@mx.example.test\nSubject: load\nX-Seq: %d\n\nbody %d\n" "$i" "$i" |
            "$SM" -t || echo "sendmail failed for $i"
    done' >"$tmp/load.out" 2>&1
end=$(date +%s%N)
check "load: every sendmail succeeded" test ! -s "$tmp/load.out"
check "load: $LOAD files in incoming" wait_for 60 incoming_has $((before + LOAD))
check "load: maildrop empty" wait_for 10 maildrop_empty
grep -aoh 'X-Seq: [0-9]*' "$INCOMING"/* | sort | uniq -c | awk '$1 != 1' >"$tmp/doubled"
check "load: no message doubled" test ! -s "$tmp/doubled"
check "load: every message there" \
    test "$(grep -aoh 'X-Seq: [0-9]*' "$INCOMING"/* | sort -u | wc -l)" = "$LOAD"
ms=$(((end - start) / 1000000))
echo "info: $LOAD messages submitted with sendmail -t in $ms ms ($((ms * 1000 / LOAD)) us per message)"
seen_list

# --- fsyncs per message (strace) -----------------------------------------
if command -v strace >/dev/null && [ "$(id -u)" = 0 ]; then
    before=$(count "$INCOMING")
    pids=$(ps -o pid= --ppid "$(master_pid "$dir")" | tr -d ' ')
    args=""
    for p in $(master_pid "$dir") $pids; do args="$args -p $p"; done
    # shellcheck disable=SC2086
    strace -f -c -e trace=fsync,fdatasync -o "$tmp/strace.daemons" $args 2>/dev/null &
    tracer=$!
    sleep 1
    strace -f -c -e trace=fsync,fdatasync -o "$tmp/strace.submit" \
        setpriv --reuid="$run_user" --regid="$run_group" --clear-groups -- \
        env MAIL_CONFIG="$dir/etc" SM="$dir/bin/sendmail" bash -c '
        for i in $(seq 50); do
            printf "To: alice@mx.example.test\nSubject: fsync\n\nx\n" | "$SM" -t
        done' >/dev/null 2>&1
    wait_for 30 incoming_has $((before + 50))
    kill -INT "$tracer"
    wait "$tracer" 2>/dev/null
    calls() { awk '$NF == "fsync" || $NF == "fdatasync" { n += $4 } END { print n + 0 }' "$1"; }
    submit_syncs=$(calls "$tmp/strace.submit")
    daemon_syncs=$(calls "$tmp/strace.daemons")
    echo "info: fsync+fdatasync for 50 messages: $submit_syncs in sendmail/postdrop," \
        "$daemon_syncs in pickup/cleanup/master"
    check "one fsync per message in postdrop ($submit_syncs for 50)" test "$submit_syncs" = 50
    check "at least one fsync per message in cleanup ($daemon_syncs for 50)" \
        test "$daemon_syncs" -ge 50
    seen_list
else
    echo "info: strace not available (or not root): fsync count skipped"
fi

# --- as root: another user through a set-gid postdrop -----------------------
created_dirs=""
created_main=0
bob=""
# Undoes the root part: the throwaway user, and the default main.cf only if
# it is still the one this run wrote (another run may be using its own).
root_cleanup() {
    local d
    [ -n "$bob" ] && userdel "$bob" 2>/dev/null
    if [ "$created_main" = 1 ] && grep -qF "$dir/etc" "$confdir/main.cf" 2>/dev/null; then
        rm -f "$confdir/main.cf"
    fi
    for d in $created_dirs; do rmdir "$d" 2>/dev/null; done
}
trap 'root_cleanup; stop_instances; [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT

prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")
sysconfdir=$(sed -n 's/^sysconfdir = //p' "$top_builddir/Makefile")
confdir=$(prefix=$prefix; eval "echo $sysconfdir")/postern
if [ "$(id -u)" != 0 ] || ! command -v useradd >/dev/null; then
    echo "info: not root: the set-gid postdrop part is skipped"
elif [ -z "$prefix" ] || [ "${confdir#/}" = "$confdir" ] || [ "$confdir" = /postern ]; then
    echo "info: cannot tell the default config_directory: the set-gid postdrop part is skipped"
elif [ -e "$confdir/main.cf" ]; then
    echo "info: $confdir/main.cf exists: the set-gid postdrop part is skipped"
else
    bob=ptbob$$
    getent group users >/dev/null || { echo "FAILED: no group \"users\""; exit 1; }
    useradd -M -N -g users -d /nonexistent -s /usr/sbin/nologin -c "Test Bob,room 1" "$bob"
    bob_uid=$(id -u "$bob")
    rm "$dir/bin/postdrop"
    install -g "$run_group" -m 2755 "$POSTDROP" "$dir/bin/postdrop"
    bsm() {
        setpriv --reuid="$bob" --regid=users --clear-groups -- env MAIL_CONFIG="$dir/etc" \
            "$dir/bin/sendmail" "$@" >"$tmp/sm.out" 2>"$tmp/sm.err"
        status=$?
    }

    printf 'just a body line\n' >"$tmp/in"
    bsm carol <"$tmp/in"
    check_status "set-gid postdrop, configuration not allowed" 77 "$status"
    check "configuration not allowed: message" grep -q "postdrop: fatal: $dir/etc: non-default configuration directory not allowed" "$tmp/sm.err"

    d=$confdir
    while [ ! -d "$d" ]; do created_dirs="$created_dirs $d"; d=$(dirname "$d"); done
    mkdir -p "$confdir"
    # Exclusive create (noclobber): a concurrent run must not be overwritten.
    if (set -C; echo "alternate_config_directories = /elsewhere, $dir/etc" >"$confdir/main.cf") \
        2>/dev/null; then
        created_main=1
    else
        echo "info: $confdir/main.cf appeared meanwhile (another run?): the rest is skipped"
    fi
    if [ "$created_main" = 1 ]; then
        printf 'just a body line\n' >"$tmp/in"
        bsm carol <"$tmp/in"
        check_status "set-gid postdrop, listed configuration" 0 "$status"
        check "no output" test ! -s "$tmp/sm.out" -a ! -s "$tmp/sm.err"
        newest
        compare_reference bob-argv-rcpt argv-rcpt.expected "$bob" "$bob_uid"
        check "pickup logs the submitter's uid" log_has "$dir" "$qid: uid=$bob_uid from=<$bob>\$"

        printf 'To: alice@mx.example.test\nSubject: via sendmail -t\n\nHello from bob via sendmail -t.\n' >"$tmp/in"
        bsm -t <"$tmp/in"
        check_status "set-gid postdrop, sendmail -t" 0 "$status"
        newest
        compare_reference bob-sendmail-t sendmail-t.expected "$bob" "$bob_uid"

        cp "$dir/etc/main.cf" "$tmp/main.cf.saved"
        echo "authorized_submit_users = !$bob, static:anyone" >>"$dir/etc/main.cf"
        printf 'x\n' >"$tmp/in"
        bsm carol <"$tmp/in"
        check_status "authorized_submit_users refuses" 77 "$status"
        check "not authorized: message" grep -q "postdrop: fatal: User $bob($bob_uid) is not allowed to submit mail" "$tmp/sm.err"
        cp "$tmp/main.cf.saved" "$dir/etc/main.cf"
        echo "local_login_sender_maps = inline:{ $bob=$bob }" >>"$dir/etc/main.cf"
        printf 'x\n' >"$tmp/in"
        bsm -f someone@example.test carol <"$tmp/in"
        check_status "local_login_sender_maps refuses another sender" 77 "$status"
        check "sender not allowed: message" grep -q "is not allowed to use sender address <someone@example.test>" "$tmp/sm.err"
        printf 'x\n' >"$tmp/in"
        bsm -f "$bob" carol <"$tmp/in"
        check_status "local_login_sender_maps allows the own name" 0 "$status"
        newest
        cp "$tmp/main.cf.saved" "$dir/etc/main.cf"
        check "nothing left in maildrop" wait_for 5 maildrop_empty
    fi
fi

pst "$dir" stop
check_status "postern stop" 0 "$status"
finish
