# local_delivery.sh - the local delivery agent on a real instance: messages
# are queued through cleanup (tests/helpers/cleanup-submit), then handed to
# daemons/local/local in stand-alone mode (-S) by tests/helpers/deliver-request,
# which plays qmgr and prints the agent's per-recipient results.
#
# Checks the delivered bytes against Postfix's formats (Maildir: Return-Path,
# X-Original-To, Delivered-To, the message, nothing else; mbox: From_ line,
# >From quoting, a blank line), Maildir names and modes, recipient_delimiter
# extensions, alias lists, :include:, .forward (forward_path), an alias to a
# file and to commands (allow_mail_to_commands, exit codes as sysexits),
# forwarding of non-local addresses through cleanup, an unknown user bounced
# with 5.1.1, a Delivered-To mail loop, mailbox_size_limit and the log lines
# (one per destination of an alias list, a .forward, a command alias and a
# forwarded address, with to=<expanded> and orig_to=<original> as Postfix).
# As root the test creates three users (removed at exit) and checks that
# each mailbox belongs to its user and alias files to default_privs; as
# another user it delivers to that user's own account only.
. "$top_srcdir/tests/integration/lib.sh"

POSTERN=$top_builddir/src/postern/postern
POSTALIAS=$top_builddir/src/postmap/postalias
SUBMIT=$top_builddir/tests/helpers/cleanup-submit
DELIVER=$top_builddir/tests/helpers/deliver-request
DUMP=$top_builddir/tests/helpers/queue-dump
LOCAL=$top_builddir/daemons/local/local
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
inst=$(instance local)
chmod 755 "$tmp" "$inst"
mkdir -p "$inst/libexec" "$inst/home" "$inst/mail" "$inst/files" "$inst/fwd" "$inst/out"
chmod 1777 "$inst/out"
ln -s "$top_builddir/daemons/master/master" "$inst/libexec/master"
ln -s "$top_builddir/daemons/cleanup/cleanup" "$inst/libexec/cleanup"

users=""
cleanup_all() {
    "$POSTERN" -c "$inst" stop >/dev/null 2>&1
    for u in $users; do userdel "$u" >/dev/null 2>&1; done
    rm -rf "$tmp"
}
trap cleanup_all EXIT

if [ "$(id -u)" = 0 ]; then
    ROOT=1
    for role in a b c; do
        u=pt$$$role
        useradd -M -d "$inst/home/$u" -s /bin/sh -U "$u" || { echo "SKIP: useradd failed"; exit 77; }
        users="$users $u"
        mkdir -p "$inst/home/$u"
        chown "$u:$u" "$inst/home/$u"
    done
    set -- $users
    alice=$1 bob=$2 carol=$3
    chown nobody "$inst/files"
else
    ROOT=0
    alice=$(id -un) bob=$alice carol=$alice
fi
{
    echo "compatibility_level = 3.6"
    echo "queue_directory = $inst/spool"
    echo "data_directory = $inst/data"
    echo "daemon_directory = $inst/libexec"
    echo "maillog_file = $inst/maillog"
    echo "maillog_file_prefixes = $tmp"
    echo "myhostname = mx.example.test"
    echo "mydomain = example.test"
    echo "mydestination = \$myhostname, localhost"
    echo "alias_maps = hash:$inst/aliases"
    echo "alias_database = hash:$inst/aliases"
    echo "recipient_delimiter = +"
    echo "forward_path = $inst/fwd/\${user}.forward"
    echo "mail_spool_directory = $inst/mail"
    if [ "$ROOT" = 1 ]; then
        echo "home_mailbox = Maildir/"
    else
        echo "home_mailbox ="
        echo "mail_owner = $(id -un)"
        echo "setgid_group = $(id -gn)"
    fi
} >"$inst/main.cf"
{
    echo "cleanup   unix  n       -       n       -       0       cleanup"
    echo "local     unix  -       n       n       -       -       local"
} >"$inst/master.cf"
ln -s "$LOCAL" "$inst/libexec/local"
cat >"$inst/list.txt" <<EOF
# an :include: file
$bob
EOF
cat >"$inst/aliases" <<EOF
postmaster: root
team: $alice, $bob
tofile: $inst/files/tofile.mbox
cmd: "|cat > $inst/files/cmd.out; env > $inst/files/cmd.env"
tempfail: "|exit 75"
permfail: "|echo no such mailbox; exit 67"
died: "|exit 1"
slow: "|sleep 10"
inc: :include:$inst/list.txt
remote: someone@remote.example, $alice
staff: $bob
swap: $inst/out/swap1
owner-staff: $alice
EOF
"$POSTALIAS" -c "$inst" "$inst/aliases"
check_status "postalias" 0 $?
SOCK=$inst/spool/public/cleanup
"$POSTERN" -c "$inst" start >"$tmp/start.out" 2>&1
check_status "postern start" 0 $?
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done

# submit NAME [cleanup-submit options] < content: queues a message ($qid).
submit() {
    name=$1
    shift
    "$SUBMIT" "$@" "$SOCK" >"$tmp/$name.out" 2>"$tmp/$name.err"
    qid=$(sed -n 's/^queue_id: //p' "$tmp/$name.out")
}
# deliver NAME [deliver-request options] [-- local options]: runs local on $qid.
deliver() {
    name=$1
    shift
    "$DELIVER" -x "$LOCAL" "$@" "$inst/spool" incoming "$qid" -- -c "$inst" \
        >"$tmp/$name.res" 2>"$tmp/$name.derr"
}
# deliver_o NAME -o p=v ...: as deliver, with parameter overrides for local.
deliver_o() {
    name=$1
    shift
    "$DELIVER" -x "$LOCAL" "$inst/spool" incoming "$qid" -- -c "$inst" "$@" \
        >"$tmp/$name.res" 2>"$tmp/$name.derr"
}
check_log() {
    checks=$((checks + 1))
    if grep -Eq "$2" "$inst/maillog"; then
        echo "ok: $1"
    else
        echo "FAILED: $1: no log line matching $2"
        tail -5 "$inst/maillog"
        failures=$((failures + 1))
    fi
}
# local_lines QID: local's log lines for QID without the prefix, pid and
# delay figures.
local_lines() {
    grep -E "postern/local\[[0-9]+\]: $1: to=" "$inst/maillog" |
        sed -E 's/^.*postern\/local\[[0-9]+\]: //; s/delay=[0-9.]+, delays=[0-9.]+\/[0-9.]+\/[0-9.]+\/[0-9.]+/delay=D, delays=D/'
}
# check_owner NAME FILE USER MODE
check_owner() {
    checks=$((checks + 1))
    got=$(stat -c '%U %a' "$2" 2>/dev/null)
    if [ "$got" = "$3 $4" ]; then
        echo "ok: $1"
    else
        echo "FAILED: $1: $2 is '$got', expected '$3 $4'"
        failures=$((failures + 1))
    fi
}
# newest_maildir USER: the one file in USER's Maildir/new, moved aside.
take_maildir() {
    f=$(ls "$inst/home/$1/Maildir/new/" 2>/dev/null | head -1)
    [ -n "$f" ] && mv "$inst/home/$1/Maildir/new/$f" "$tmp/taken" && echo "$f"
}
body='From: Sender Example <sender@client.example.test>
To: Alice <alice@mx.example.test>
Subject: smtp to maildir
Message-ID: <m1@client.example.test>
Date: Mon, 01 Jan 2024 00:00:00 +0000

First body line.
From the start of a line (no quoting expected in Maildir).
.a dot-stuffed line (one dot delivered)
	indented with a tab
last line
'
printf '%s' "$body" >"$tmp/in"

# --- 1. the user's mailbox -------------------------------------------------------
submit m1 -f sender@client.example.test -r "$alice@mx.example.test" <"$tmp/in"
if [ "$ROOT" = 1 ]; then
    deliver m1
    check_text "maildir: result" "$alice@mx.example.test: status=0 dsn=2.0.0 action=delivered relay=local reason=delivered to maildir
" "$tmp/m1.res"
    name=$(take_maildir "$alice")
    checks=$((checks + 1))
    if echo "$name" | grep -Eq "^[0-9]+\.V[0-9a-f]+I[0-9a-f]+M[0-9]+\.$(uname -n)\$"; then
        echo "ok: maildir: unique name $name"
    else
        echo "FAILED: maildir: bad name '$name'"
        failures=$((failures + 1))
    fi
    check_text "maildir: bytes" "Return-Path: <sender@client.example.test>
X-Original-To: $alice@mx.example.test
Delivered-To: $alice@mx.example.test
$body" "$tmp/taken"
    check_owner "maildir: file owner and mode" "$tmp/taken" "$alice" 600
    check_owner "maildir: directory owner and mode" "$inst/home/$alice/Maildir/tmp" "$alice" 700
    check_log "maildir: log line" "postern/local\[[0-9]+\]: $qid: to=<$alice@mx.example.test>, relay=local, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2.0.0, status=sent \(delivered to maildir\)"
else
    deliver m1
    check_text "mbox: result" "$alice@mx.example.test: status=0 dsn=2.0.0 action=delivered relay=local reason=delivered to mailbox
" "$tmp/m1.res"
    sed 's/^\(From sender@client.example.test  \).*/\1DATE/' "$inst/mail/$alice" >"$tmp/mbox"
    check_text "mbox: bytes" "From sender@client.example.test  DATE
Return-Path: <sender@client.example.test>
X-Original-To: $alice@mx.example.test
Delivered-To: $alice@mx.example.test
$(printf '%s' "$body" | sed 's/^From the start/>From the start/')

" "$tmp/mbox"
    rm -f "$inst/mail/$alice"
fi

# --- 2. mbox in mail_spool_directory (home_mailbox empty), null sender ---------
printf 'Subject: second, null sender\n\nFrom me.\n>From already quoted\n' >"$tmp/in2"
submit m2 -r "$alice@mx.example.test" <"$tmp/in2"
deliver_o m2 -o home_mailbox=
sed 's/^\(From MAILER-DAEMON  \)[A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* 20[0-9][0-9]$/\1DATE/' \
    "$inst/mail/$alice" >"$tmp/spool"
check_text "spool mbox: bytes" "From MAILER-DAEMON  DATE
Return-Path: <>
X-Original-To: $alice@mx.example.test
Delivered-To: $alice@mx.example.test
Subject: second, null sender

>From me.
>From already quoted

" "$tmp/spool"
check_owner "spool mbox: owner and mode" "$inst/mail/$alice" "$alice" 600

# --- 3. mailbox_size_limit: the second copy does not fit ----------------------
size=$(stat -c %s "$inst/mail/$alice")
deliver_o m2b -o home_mailbox= -o mailbox_size_limit=$((size + 10))
grep -q "status=2 dsn=5.2.2 .*reason=cannot update mailbox $inst/mail/$alice for user $alice. error writing message: File too large" "$tmp/m2b.res"
check_status "mailbox_size_limit: bounced with 5.2.2" 0 $?
check_status "mailbox_size_limit: mailbox unchanged" "$size" "$(stat -c %s "$inst/mail/$alice")"
rm -f "$inst/mail/$alice"

# --- 4. unknown user, mail loop --------------------------------------------------
submit m4 -f sender@client.example.test -r nosuchuser@mx.example.test <"$tmp/in"
deliver m4
check_text "unknown user: bounced" "nosuchuser@mx.example.test: status=2 dsn=5.1.1 action=failed relay=local reason=unknown user: \"nosuchuser\"
" "$tmp/m4.res"
"$DELIVER" -V -x "$LOCAL" "$inst/spool" incoming "$qid" -- -c "$inst" >"$tmp/verify4.res" 2>&1
grep -q '^nosuchuser@mx.example.test: status=2 dsn=5.1.1 ' "$tmp/verify4.res"
check_status "verify: unknown user" 0 $?
check_log "unknown user: log line" "$qid: to=<nosuchuser@mx.example.test>, relay=local, .*dsn=5.1.1, status=bounced \(unknown user: \"nosuchuser\"\)"
printf 'Delivered-To: %s@mx.example.test\nSubject: loop\n\nx\n' "$alice" >"$tmp/in4"
submit m4b -f sender@client.example.test -r "$alice@mx.example.test" <"$tmp/in4"
deliver m4b
check_text "mail loop: bounced" "$alice@mx.example.test: status=2 dsn=5.4.6 action=failed relay=local reason=mail forwarding loop for $alice@mx.example.test
" "$tmp/m4b.res"

# --- 5. alias to a file, to commands ------------------------------------------------
printf 'Subject: to a file\n\nFrom here on.\nlast line\n' >"$tmp/in5"
submit m5 -f sender@client.example.test -r tofile@mx.example.test <"$tmp/in5"
deliver m5
check_text "file alias: result" "tofile@mx.example.test: status=0 dsn=2.0.0 action=delivered relay=local reason=delivered to file: $inst/files/tofile.mbox
" "$tmp/m5.res"
sed 's/^\(From sender@client.example.test  \).*/\1DATE/' "$inst/files/tofile.mbox" >"$tmp/tofile"
check_text "file alias: mbox bytes" "From sender@client.example.test  DATE
Return-Path: <sender@client.example.test>
X-Original-To: tofile@mx.example.test
Delivered-To: tofile@mx.example.test
Subject: to a file

>From here on.
last line

" "$tmp/tofile"
[ "$ROOT" = 1 ] && check_owner "file alias: written as default_privs" "$inst/files/tofile.mbox" nobody 600

submit m6 -f sender@client.example.test -r cmd+ext@mx.example.test <"$tmp/in5"
deliver m6
check_text "command alias: result" "cmd+ext@mx.example.test: status=0 dsn=2.0.0 action=delivered relay=local reason=delivered to command: cat > $inst/files/cmd.out; env > $inst/files/cmd.env
" "$tmp/m6.res"
head -4 "$inst/files/cmd.out" | sed 's/^\(From sender@client.example.test  \).*/\1DATE/' >"$tmp/cmd.head"
check_text "command alias: input" "From sender@client.example.test  DATE
Return-Path: <sender@client.example.test>
X-Original-To: cmd+ext@mx.example.test
Delivered-To: cmd+ext@mx.example.test
" "$tmp/cmd.head"
grep -E '^(SENDER|RECIPIENT|ORIGINAL_RECIPIENT|LOCAL|EXTENSION|DOMAIN|USER)=' "$inst/files/cmd.env" |
    sort >"$tmp/cmd.env"
check_text "command alias: environment" "DOMAIN=mx.example.test
EXTENSION=ext
LOCAL=cmd+ext
ORIGINAL_RECIPIENT=cmd+ext@mx.example.test
RECIPIENT=cmd+ext@mx.example.test
SENDER=sender@client.example.test
USER=$([ "$ROOT" = 1 ] && echo nobody || echo "$alice")
" "$tmp/cmd.env"
local_lines "$qid" >"$tmp/cmd.log"
check_text "command alias: one log line, to= the alias" "$qid: to=<cmd+ext@mx.example.test>, relay=local, delay=D, delays=D, dsn=2.0.0, status=sent (delivered to command: cat > $inst/files/cmd.out; env > $inst/files/cmd.env)
" "$tmp/cmd.log"
for case in "tempfail:status=1 dsn=4.3.0" "permfail:status=2 dsn=5.1.1" "died:status=2 dsn=5.3.0"; do
    a=${case%%:*}
    submit "c$a" -f sender@client.example.test -r "$a@mx.example.test" <"$tmp/in5"
    deliver "c$a"
    grep -q "^$a@mx.example.test: ${case#*:} " "$tmp/c$a.res"
    check_status "command exit status: $a -> ${case#*:}" 0 $?
done
submit slow -f sender@client.example.test -r slow@mx.example.test <"$tmp/in5"
deliver_o slow -o command_time_limit=1s
check_text "command_time_limit: killed and bounced" "slow@mx.example.test: status=2 dsn=5.3.0 action=failed relay=local reason=Command time limit exceeded: \"sleep 10\"
" "$tmp/slow.res"
"$DELIVER" -V -x "$LOCAL" "$inst/spool" incoming "$qid" -- -c "$inst" >"$tmp/verify.res" 2>&1
grep -q "^slow@mx.example.test: status=0 dsn=2.0.0 .*reason=deliverable$" "$tmp/verify.res"
check_status "verify: an alias is deliverable" 0 $?
grep -q 'reason=addressee unknown. Command output: no such mailbox$' "$tmp/cpermfail.res"
check_status "command output in the reason" 0 $?
submit cmdoff -f sender@client.example.test -r cmd@mx.example.test <"$tmp/in5"
deliver_o cmdoff -o allow_mail_to_commands=forward
grep -q "status=2 dsn=5.7.1 .*reason=mail to command is restricted" "$tmp/cmdoff.res"
check_status "allow_mail_to_commands: alias refused" 0 $?

# --- 6. forwarding of non-local addresses through cleanup -------------------------
submit m7 -f sender@client.example.test -r remote@mx.example.test <"$tmp/in5"
orig=$qid
deliver m7
new=$(sed -n 's/.*reason=forwarded as //p' "$tmp/m7.res")
checks=$((checks + 1))
if [ -n "$new" ] && [ -f "$inst/spool/incoming/$new" ]; then
    echo "ok: forward: resubmitted as $new"
else
    echo "FAILED: forward: $(cat "$tmp/m7.res")"
    failures=$((failures + 1))
fi
[ "$ROOT" = 1 ] && mbox="maildir" || mbox="mailbox"
local_lines "$orig" >"$tmp/m7.log"
check_text "forward: one log line per destination" "$orig: to=<$alice@mx.example.test>, orig_to=<remote@mx.example.test>, relay=local, delay=D, delays=D, dsn=2.0.0, status=sent (delivered to $mbox)
$orig: to=<someone@remote.example>, orig_to=<remote@mx.example.test>, relay=local, delay=D, delays=D, dsn=2.0.0, status=sent (forwarded as $new)
" "$tmp/m7.log"
"$DUMP" "$inst/spool/incoming/$new" | grep -E '^(sender|recipient|named_attribute: dsn_orig_rcpt|regular_text: Delivered-To)' >"$tmp/fwd"
check_text "forward: new queue file" "sender: sender@client.example.test
named_attribute: dsn_orig_rcpt=rfc822;remote@mx.example.test
recipient: someone@remote.example
regular_text: Delivered-To: remote@mx.example.test
" "$tmp/fwd"
qid=$orig

# --- 6b. mailbox_command with its environment; luser_relay -----------------------
submit mbc -f sender@client.example.test -r "$alice+box@mx.example.test" <"$tmp/in5"
deliver_o mbc -o "mailbox_command=cat > $inst/out/mbc.\$user; env > $inst/out/mbc.env"
check_text "mailbox_command: result" "$alice+box@mx.example.test: status=0 dsn=2.0.0 action=delivered relay=local reason=delivered to command: cat > $inst/out/mbc.$alice; env > $inst/out/mbc.env
" "$tmp/mbc.res"
grep -E '^(HOME|USER|LOGNAME|LOCAL|EXTENSION|DOMAIN|RECIPIENT)=' "$inst/out/mbc.env" | sort >"$tmp/mbc.env"
check_text "mailbox_command: environment" "DOMAIN=mx.example.test
EXTENSION=box
HOME=$(getent passwd "$alice" | cut -d: -f6)
LOCAL=$alice+box
LOGNAME=$alice
RECIPIENT=$alice+box@mx.example.test
USER=$alice
" "$tmp/mbc.env"
[ "$ROOT" = 1 ] && check_owner "mailbox_command: ran as the user" "$inst/out/mbc.$alice" "$alice" 644
submit luser -f sender@client.example.test -r nobody-here@mx.example.test <"$tmp/in5"
deliver_o luser -o "luser_relay=$alice"
grep -q "^nobody-here@mx.example.test: status=0 dsn=2.0.0 " "$tmp/luser.res"
check_status "luser_relay: unknown user delivered to the relay" 0 $?
if [ "$ROOT" = 1 ]; then
    take_maildir "$alice" >/dev/null
else
    rm -f "$inst/mail/$alice"
fi

# --- 6c. local under the master: a rebuilt alias table is reopened -------------
submit swap -f sender@client.example.test -r swap@mx.example.test <"$tmp/in5"
for _ in $(seq 50); do [ -S "$inst/spool/private/local" ] && break; sleep 0.1; done
"$DELIVER" -s "$inst/spool/private/local" "$inst/spool" incoming "$qid" >"$tmp/swap1.res" 2>&1
check_text "master: first request" "swap@mx.example.test: status=0 dsn=2.0.0 action=delivered relay=local reason=delivered to file: $inst/out/swap1
" "$tmp/swap1.res"
sed -i "s|^swap: .*|swap: $inst/out/swap2|" "$inst/aliases"
sleep 0.05
"$POSTALIAS" -c "$inst" "$inst/aliases"
"$DELIVER" -s "$inst/spool/private/local" "$inst/spool" incoming "$qid" >"$tmp/swap2.res" 2>&1
check_text "master: the rebuilt alias table is used" "swap@mx.example.test: status=0 dsn=2.0.0 action=delivered relay=local reason=delivered to file: $inst/out/swap2
" "$tmp/swap2.res"
check_log "master: reopening logged" "postern/local\[[0-9]+\]: table hash:$inst/aliases has changed -- reopening"

if [ "$ROOT" = 1 ]; then
    # --- 7. alias list, :include:, extension, .forward (distinct users) --------
    rm -rf "$inst/home/$alice/Maildir/new"/* "$inst/home/$bob/Maildir/new"/* 2>/dev/null
    submit m8 -f sender@client.example.test -r team@mx.example.test <"$tmp/in"
    deliver m8
    check_text "alias list: result" "team@mx.example.test: status=0 dsn=2.0.0 action=delivered relay=local reason=delivered to maildir
" "$tmp/m8.res"
    local_lines "$qid" >"$tmp/m8.log"
    check_text "alias list: one log line per member" "$qid: to=<$alice@mx.example.test>, orig_to=<team@mx.example.test>, relay=local, delay=D, delays=D, dsn=2.0.0, status=sent (delivered to maildir)
$qid: to=<$bob@mx.example.test>, orig_to=<team@mx.example.test>, relay=local, delay=D, delays=D, dsn=2.0.0, status=sent (delivered to maildir)
" "$tmp/m8.log"
    take_maildir "$bob" >/dev/null
    check_text "alias list: bob's copy" "Return-Path: <sender@client.example.test>
X-Original-To: team@mx.example.test
Delivered-To: team@mx.example.test
$body" "$tmp/taken"
    check_owner "alias list: bob owns his copy" "$tmp/taken" "$bob" 600
    take_maildir "$alice" >/dev/null
    check_owner "alias list: alice owns hers" "$tmp/taken" "$alice" 600

    submit m9 -f sender@client.example.test -r inc@mx.example.test <"$tmp/in5"
    deliver m9
    take_maildir "$bob" >/dev/null
    grep -q '^X-Original-To: inc@mx.example.test$' "$tmp/taken"
    check_status ":include: delivered to bob" 0 $?

    submit m10 -f sender@client.example.test -r "$alice+tag@mx.example.test" <"$tmp/in5"
    deliver m10
    take_maildir "$alice" >/dev/null
    head -3 "$tmp/taken" >"$tmp/ext"
    check_text "extension: headers" "Return-Path: <sender@client.example.test>
X-Original-To: $alice+tag@mx.example.test
Delivered-To: $alice+tag@mx.example.test
" "$tmp/ext"

    submit m12 -f sender@client.example.test -r staff@mx.example.test <"$tmp/in5"
    deliver m12
    take_maildir "$bob" >/dev/null
    head -1 "$tmp/taken" >"$tmp/owner"
    check_text "owner- alias: becomes the sender" "Return-Path: <owner-staff@mx.example.test>
" "$tmp/owner"

    printf '# keep a copy, send one to alice\n\\%s, %s\n' "$carol" "$alice" >"$inst/fwd/$carol.forward"
    chown "$carol" "$inst/fwd/$carol.forward"
    submit m11 -f sender@client.example.test -r "$carol@mx.example.test" <"$tmp/in5"
    deliver m11
    check_status ".forward: carol keeps a copy" 1 "$(ls "$inst/home/$carol/Maildir/new" | wc -l)"
    check_status ".forward: alice gets one" 1 "$(ls "$inst/home/$alice/Maildir/new" | wc -l)"
    local_lines "$qid" >"$tmp/m11.log"
    check_text ".forward: one log line per destination" "$qid: to=<$carol@mx.example.test>, relay=local, delay=D, delays=D, dsn=2.0.0, status=sent (delivered to maildir)
$qid: to=<$alice@mx.example.test>, orig_to=<$carol@mx.example.test>, relay=local, delay=D, delays=D, dsn=2.0.0, status=sent (delivered to maildir)
" "$tmp/m11.log"
    take_maildir "$alice" >/dev/null
    # A .forward file that is not the user's own is ignored.
    chown "$bob" "$inst/fwd/$carol.forward"
    deliver m11
    check_status ".forward with a wrong owner: ignored" 0 "$(ls "$inst/home/$alice/Maildir/new" | wc -l)"
    grep -q "warning: file $inst/fwd/$carol.forward has bad owner" "$inst/maillog"
    check_status ".forward with a wrong owner: logged" 0 $?
fi

"$POSTERN" -c "$inst" stop >"$tmp/stop.out" 2>&1
check_status "postern stop" 0 $?
grep -E '(panic|fatal)|runtime error|AddressSanitizer' "$inst/maillog" "$tmp"/*.derr >"$tmp/bad.log"
check_text "no fatal errors or sanitizer reports" "" "$tmp/bad.log"
finish
