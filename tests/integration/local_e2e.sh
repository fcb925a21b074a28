# local_e2e.sh - mail for local users through the whole instance: smtpd ->
# cleanup -> qmgr -> local (and sendmail -> postdrop -> pickup), in root
# mode with two throwaway users (useradd -M, removed at exit).
#
#   1. SMTP (smtplib) to a user with home_mailbox empty: the mbox in
#      mail_spool_directory (From_ line, Return-Path, X-Original-To,
#      Delivered-To, Received, the body dot-unstuffed and ">From " quoted),
#      owned by the user; the local log line; "removed".
#   2. an unknown user refused at RCPT with Postfix's 550 5.1.1 reply.
#   3. sendmail with a bare name: X-Original-To and orig_to=<bob>.
#   4. home_mailbox = Maildir/ (after reload): the Maildir file's bytes.
#   5. mailbox_transport_maps (bob -> lmtp:unix:SOCK) and fallback_transport
#      (an unknown user submitted with sendmail): the LMTP server
#      (smtp-sink -L on a unix socket, behind the instance's lmtp service)
#      receives both; lmtp logs the line, local logs none for them.
#   6. mailbox_transport naming a service that does not exist: deferred
#      4.3.0 "mail transport unavailable" with a warning naming the socket;
#      once the configuration is fixed, "postern flush" delivers it.
. "$top_srcdir/tests/integration/lib.sh"

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root (creates local users)"
    exit 77
fi
POSTERN=$top_builddir/src/postern/postern
POSTALIAS=$top_builddir/src/postmap/postalias
SINK=$top_builddir/src/smtp-sink/smtp-sink
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
inst=$(instance e2e)
chmod 755 "$tmp" "$inst"
mkdir -p "$inst/libexec" "$inst/home" "$inst/mail" "$inst/bin" "$tmp/lmtp.d"
for d in master/master cleanup/cleanup qmgr/qmgr pickup/pickup local/local smtpd/smtpd \
    bounce/bounce error/error; do
    ln -s "$top_builddir/daemons/$d" "$inst/libexec/${d#*/}"
done
ln -s "$top_builddir/daemons/smtp/smtp" "$inst/libexec/lmtp"
ln -s "$top_builddir/src/sendmail/sendmail" "$inst/bin/sendmail"
ln -s "$top_builddir/src/postdrop/postdrop" "$inst/bin/postdrop"

group=
for g in mail daemon adm; do
    if getent group "$g" >/dev/null && [ "$(getent group "$g" | cut -d: -f3)" != "$(id -g nobody)" ]; then
        group=$g
        break
    fi
done
[ -n "$group" ] || { echo "SKIP: no group for setgid_group"; exit 77; }

users=""
sinkpid=""
cleanup_all() {
    [ -n "$sinkpid" ] && kill "$sinkpid" 2>/dev/null
    "$POSTERN" -c "$inst" stop >/dev/null 2>&1
    for u in $users; do userdel "$u" >/dev/null 2>&1; done
    rm -rf "$tmp"
}
trap cleanup_all EXIT
for role in a b; do
    u=pe$$$role
    useradd -M -d "$inst/home/$u" -s /bin/sh -U "$u" || { echo "SKIP: useradd failed"; exit 77; }
    users="$users $u"
    mkdir -p "$inst/home/$u"
    chown "$u:$u" "$inst/home/$u"
done
set -- $users
alice=$1 bob=$2
port=$("$top_builddir/tests/helpers/testd" freeport)
SOCKPATH=$tmp/lmtp.sock

cat >"$inst/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $inst/spool
data_directory = $inst/data
daemon_directory = $inst/libexec
command_directory = $inst/bin
mail_owner = nobody
setgid_group = $group
maillog_file = $inst/maillog
maillog_file_prefixes = $tmp
myhostname = mx.example.test
mydomain = example.test
mydestination = \$myhostname, localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps = hash:$inst/aliases
alias_database = hash:$inst/aliases
mail_spool_directory = $inst/mail
home_mailbox =
minimal_backoff_time = 300s
queue_run_delay = 300s
import_environment = MAIL_CONFIG TZ LANG=C ASAN_OPTIONS UBSAN_OPTIONS
EOF
cat >"$inst/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
error     unix  -       -       n       -       -       error
local     unix  -       n       n       -       -       local
lmtp      unix  -       -       n       -       -       lmtp
EOF
printf 'postmaster: root\n' >"$inst/aliases"
"$POSTALIAS" -c "$inst" "$inst/aliases"
"$POSTERN" -c "$inst" start >"$tmp/start.out" 2>&1
check_status "postern start" 0 $?
for _ in $(seq 100); do
    [ -S "$inst/spool/public/cleanup" ] && [ -S "$inst/spool/public/qmgr" ] && break
    sleep 0.1
done

# The SMTP client: python3 smtp.py FROM RCPT... < message; prints one line
# per RCPT reply and the DATA reply.
cat >"$tmp/smtp.py" <<'EOF'
import smtplib, sys
port, sender, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
msg = sys.stdin.read()  # str: smtplib sends CRLF line ends
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.test", timeout=30)
s.ehlo()
s.mail(sender)
ok = 0
for r in rcpts:
    code, text = s.rcpt(r)
    print("RCPT %d %s" % (code, text.decode()))
    ok += code == 250
if ok:
    code, text = s.data(msg)
    print("DATA %d %s" % (code, text.decode()))
s.quit()
EOF
# smtp NAME FROM RCPT... < message: sends, sets $qid from the DATA reply.
smtp() {
    local name=$1
    shift
    python3 "$tmp/smtp.py" "$port" "$@" >"$tmp/$name.smtp" 2>&1
    qid=$(sed -n 's/^DATA 250 .*queued as \([0-9A-Za-z]*\).*/\1/p' "$tmp/$name.smtp")
}
# wait_log REGEX: waits up to 20 s for a maillog line.
wait_log() {
    for _ in $(seq 200); do
        grep -Eq -- "$1" "$inst/maillog" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
check_log() {
    checks=$((checks + 1))
    if wait_log "$2"; then
        echo "ok: $1"
    else
        echo "FAILED: $1: no log line matching $2"
        tail -15 "$inst/maillog"
        failures=$((failures + 1))
    fi
}
# strip_received FILE: the file without its Received: header (checked apart).
strip_received() {
    awk 'BEGIN { hdr = 1 } hdr && /^Received:/ { skip = 1; next }
         hdr && skip && /^[ \t]/ { next } { skip = 0 } /^$/ { hdr = 0 } { print }' "$1"
}
reload() {
    "$POSTERN" -c "$inst" reload >"$tmp/reload.out" 2>&1
    check_status "postern reload ($1)" 0 $?
    sleep 1
}
D='[0-9.]+'

body='From: Sender Example <sender@client.example.test>
To: Alice <alice@mx.example.test>
Subject: smtp to mbox
Message-ID: <e1@client.example.test>
Date: Mon, 01 Jan 2024 00:00:00 +0000

First body line.
From the start of a line (quoted in mbox).
.a dot-stuffed line (one dot delivered)
	indented with a tab
last line
'

# --- 1. SMTP -> local -> mbox in mail_spool_directory -----------------------------
printf '%s' "$body" >"$tmp/in1"
smtp m1 sender@client.example.test "$alice@mx.example.test" <"$tmp/in1"
check_text "mbox: SMTP replies" "RCPT 250 2.1.5 Ok
DATA 250 2.0.0 Ok: queued as $qid
" "$tmp/m1.smtp"
check_log "mbox: local log line" "postern/local\[[0-9]+\]: $qid: to=<$alice@mx.example.test>, relay=local, delay=$D, delays=$D/$D/$D/$D, dsn=2.0.0, status=sent \(delivered to mailbox\)$"
check_log "mbox: removed" "postern/qmgr\[[0-9]+\]: $qid: removed"
strip_received "$inst/mail/$alice" |
    sed 's/^\(From sender@client.example.test  \)[A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* 20[0-9][0-9]$/\1DATE/' >"$tmp/mbox1"
check_text "mbox: delivered bytes" "From sender@client.example.test  DATE
Return-Path: <sender@client.example.test>
X-Original-To: $alice@mx.example.test
Delivered-To: $alice@mx.example.test
$(printf '%s' "$body" | sed 's/^From the start/>From the start/')

" "$tmp/mbox1"
grep -A2 '^Received: ' "$inst/mail/$alice" | sed 's/; .*/; DATE/' >"$tmp/rcvd1"
check_text "mbox: Received header" "Received: from client.example.test (localhost [127.0.0.1])
	by mx.example.test (postern) with ESMTP id $qid
	for <$alice@mx.example.test>; DATE
" "$tmp/rcvd1"
check_status "mbox: owned by the user, mode 600" "$alice 600" "$(stat -c '%U %a' "$inst/mail/$alice")"

# --- 2. unknown user refused at RCPT --------------------------------------------------
smtp m2 sender@client.example.test nosuchuser@mx.example.test <"$tmp/in1"
check_text "unknown user: 550 at RCPT" "RCPT 550 5.1.1 <nosuchuser@mx.example.test>: Recipient address rejected: User unknown in local recipient table
" "$tmp/m2.smtp"

# --- 3. sendmail with a bare name -------------------------------------------------------
printf 'Subject: via sendmail\n\nFrom bob.\n' |
    MAIL_CONFIG=$inst "$inst/bin/sendmail" -f sender@client.example.test "$bob" >"$tmp/sm3.out" 2>&1
check_status "sendmail" 0 $?
check_log "sendmail: local log line" "postern/local\[[0-9]+\]: [0-9A-Za-z]+: to=<$bob@mx.example.test>, orig_to=<$bob>, relay=local, delay=$D, delays=$D/$D/$D/$D, dsn=2.0.0, status=sent \(delivered to mailbox\)$"
sed -n '2,4p' "$inst/mail/$bob" >"$tmp/sm3.hdr"
check_text "sendmail: envelope headers" "Return-Path: <sender@client.example.test>
X-Original-To: $bob
Delivered-To: $bob@mx.example.test
" "$tmp/sm3.hdr"
tail -3 "$inst/mail/$bob" >"$tmp/sm3.tail"
check_text "sendmail: body quoted, blank line after" "
>From bob.

" "$tmp/sm3.tail"

# --- 4. home_mailbox = Maildir/ ---------------------------------------------------------
sed -i 's|^home_mailbox =.*|home_mailbox = Maildir/|' "$inst/main.cf"
reload "home_mailbox = Maildir/"
smtp m4 sender@client.example.test "$alice@mx.example.test" <"$tmp/in1"
check_log "maildir: local log line" "postern/local\[[0-9]+\]: $qid: to=<$alice@mx.example.test>, relay=local, delay=$D, delays=$D/$D/$D/$D, dsn=2.0.0, status=sent \(delivered to maildir\)$"
f=$(ls "$inst/home/$alice/Maildir/new/" 2>/dev/null | head -1)
strip_received "$inst/home/$alice/Maildir/new/$f" >"$tmp/md4"
check_text "maildir: delivered bytes" "Return-Path: <sender@client.example.test>
X-Original-To: $alice@mx.example.test
Delivered-To: $alice@mx.example.test
$body" "$tmp/md4"
check_status "maildir: owned by the user" "$alice 600" "$(stat -c '%U %a' "$inst/home/$alice/Maildir/new/$f")"

# --- 5. mailbox_transport_maps and fallback_transport through lmtp ----------------------
"$SINK" -L -d "$tmp/lmtp.d" "unix:$SOCKPATH" >"$tmp/sink.log" 2>&1 &
sinkpid=$!
for _ in $(seq 50); do [ -S "$SOCKPATH" ] && break; sleep 0.1; done
chmod 666 "$SOCKPATH"
cat >>"$inst/main.cf" <<EOF
mailbox_transport_maps = inline:{ $bob=lmtp:unix:$SOCKPATH }
fallback_transport = lmtp:unix:$SOCKPATH
EOF
reload "mailbox_transport_maps, fallback_transport"
printf 'Subject: to bob over lmtp\n\nHello bob.\n' >"$tmp/in5"
smtp m5 sender@client.example.test "$bob@mx.example.test" <"$tmp/in5"
q5=$qid
check_log "mailbox_transport_maps: lmtp log line" "postern/lmtp\[[0-9]+\]: $q5: to=<$bob@mx.example.test>, relay=[^,]*\[$SOCKPATH\], delay=$D, delays=$D/$D/$D/$D, dsn=2.0.0, status=sent \("
check_log "mailbox_transport_maps: removed" "postern/qmgr\[[0-9]+\]: $q5: removed"
check_status "mailbox_transport_maps: no local line" 0 "$(grep -c "postern/local\[[0-9]*\]: $q5: to=" "$inst/maillog")"
checks=$((checks + 1))
if grep -lq '^Subject: to bob over lmtp' "$tmp"/lmtp.d/* 2>/dev/null; then
    echo "ok: mailbox_transport_maps: the LMTP server has the message"
else
    echo "FAILED: mailbox_transport_maps: nothing at the LMTP server"
    failures=$((failures + 1))
fi
printf 'Subject: to a user without an account\n\nHello ghost.\n' |
    MAIL_CONFIG=$inst "$inst/bin/sendmail" -f sender@client.example.test ghost@mx.example.test \
        >"$tmp/sm5.out" 2>&1
check_log "fallback_transport: lmtp log line" "postern/lmtp\[[0-9]+\]: [0-9A-Za-z]+: to=<ghost@mx.example.test>, relay=[^,]*\[$SOCKPATH\], .*status=sent"
checks=$((checks + 1))
if grep -lq '^Subject: to a user without an account' "$tmp"/lmtp.d/* 2>/dev/null; then
    echo "ok: fallback_transport: the LMTP server has the message"
else
    echo "FAILED: fallback_transport: nothing at the LMTP server"
    failures=$((failures + 1))
fi
smtp m5b sender@client.example.test "$alice@mx.example.test" <"$tmp/in5"
check_log "mailbox_transport_maps: other users keep their mailbox" "postern/local\[[0-9]+\]: $qid: to=<$alice@mx.example.test>, relay=local, .*status=sent \(delivered to maildir\)"

# --- 6. mailbox_transport naming no service: deferred, then flushed ----------------------
echo "mailbox_transport = nosuch" >>"$inst/main.cf"
reload "mailbox_transport = nosuch"
smtp m6 sender@client.example.test "$alice@mx.example.test" <"$tmp/in5"
q6=$qid
check_log "no such transport: warning" "postern/local\[[0-9]+\]: warning: connect to transport private/nosuch: "
check_log "no such transport: deferred" "postern/local\[[0-9]+\]: $q6: to=<$alice@mx.example.test>, relay=local, delay=$D, delays=$D/$D/$D/$D, dsn=4.3.0, status=deferred \(mail transport unavailable\)$"
wait_log "postern/qmgr\[[0-9]+\]: $q6: .*deferred|$q6: to=.*status=deferred" >/dev/null
sleep 1
checks=$((checks + 1))
if [ -f "$inst/spool/deferred/$q6" ] || ls "$inst/spool/deferred"/*/"$q6" >/dev/null 2>&1; then
    echo "ok: no such transport: the message waits in deferred/"
else
    echo "FAILED: no such transport: $q6 is not in deferred/"
    find "$inst/spool" -name "$q6"
    failures=$((failures + 1))
fi
sed -i "s|^mailbox_transport = nosuch|mailbox_transport = lmtp:unix:$SOCKPATH|" "$inst/main.cf"
reload "mailbox_transport fixed"
"$POSTERN" -c "$inst" flush >"$tmp/flush.out" 2>&1
check_status "postern flush" 0 $?
check_log "fixed: delivered over lmtp" "postern/lmtp\[[0-9]+\]: $q6: to=<$alice@mx.example.test>, relay=[^,]*\[$SOCKPATH\], .*status=sent"
check_log "fixed: removed" "postern/qmgr\[[0-9]+\]: $q6: removed"

"$POSTERN" -c "$inst" stop >"$tmp/stop.out" 2>&1
check_status "postern stop" 0 $?
grep -E '(panic|fatal)|runtime error|AddressSanitizer' "$inst/maillog" >"$tmp/bad.log"
check_text "no fatal errors or sanitizer reports" "" "$tmp/bad.log"
finish
