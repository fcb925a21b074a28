# virtual_delivery.sh - the virtual delivery agent on a real instance:
# messages are queued through cleanup (tests/helpers/cleanup-submit) and
# handed to daemons/virtual/virtual in stand-alone mode (-S) by
# tests/helpers/deliver-request, which plays qmgr.
#
# Checks two virtual domains (Maildir and mbox mailboxes from
# virtual_mailbox_maps, a catch-all @domain entry), the delivered bytes
# against Postfix's formats, the owner from virtual_uid_maps /
# virtual_gid_maps (root mode) and the modes, virtual_minimum_uid,
# virtual_mailbox_limit, an unknown user bounced with 5.1.1, and the log
# lines. Runs as any user: without root no ids change (non-root mode).
. "$top_srcdir/tests/integration/lib.sh"

POSTERN=$top_builddir/src/postern/postern
POSTMAP=$top_builddir/src/postmap/postmap
SUBMIT=$top_builddir/tests/helpers/cleanup-submit
DELIVER=$top_builddir/tests/helpers/deliver-request
VIRTUAL=$top_builddir/daemons/virtual/virtual
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
inst=$(instance virtual)
chmod 755 "$tmp" "$inst"
mkdir -p "$inst/libexec" "$inst/vmail"
ln -s "$top_builddir/daemons/master/master" "$inst/libexec/master"
ln -s "$top_builddir/daemons/cleanup/cleanup" "$inst/libexec/cleanup"
trap '"$POSTERN" -c "$inst" stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT

if [ "$(id -u)" = 0 ]; then
    vuid=42100 vgid=42101 minuid=100
else
    vuid=$(id -u) vgid=$(id -g) minuid=1
fi
{
    echo "compatibility_level = 3.6"
    echo "queue_directory = $inst/spool"
    echo "data_directory = $inst/data"
    echo "daemon_directory = $inst/libexec"
    echo "maillog_file = $inst/maillog"
    echo "maillog_file_prefixes = $tmp"
    echo "myhostname = mx.example.test"
    echo "virtual_mailbox_domains = virt.example.test, other.example.test"
    echo "virtual_mailbox_maps = hash:$inst/vmailbox"
    echo "virtual_mailbox_base = $inst/vmail"
    echo "virtual_uid_maps = static:$vuid"
    echo "virtual_gid_maps = static:$vgid"
    echo "virtual_minimum_uid = $minuid"
    echo "recipient_delimiter = +"
    if [ "$(id -u)" != 0 ]; then
        echo "mail_owner = $(id -un)"
        echo "setgid_group = $(id -gn)"
    fi
} >"$inst/main.cf"
echo "cleanup   unix  n       -       n       -       0       cleanup" >"$inst/master.cf"
cat >"$inst/vmailbox" <<EOF
v1@virt.example.test virt.example.test/v1/
v2@virt.example.test virt.example.test/v2
@other.example.test other.example.test/catchall/
EOF
"$POSTMAP" -c "$inst" "$inst/vmailbox"
check_status "postmap" 0 $?
# The mbox of v2 lives in an existing directory the recipient may write.
mkdir -p "$inst/vmail/virt.example.test"
[ "$(id -u)" = 0 ] && chown -R "$vuid:$vgid" "$inst/vmail"
SOCK=$inst/spool/public/cleanup
"$POSTERN" -c "$inst" start >"$tmp/start.out" 2>&1
check_status "postern start" 0 $?
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done

submit() {
    name=$1
    shift
    "$SUBMIT" "$@" "$SOCK" >"$tmp/$name.out" 2>"$tmp/$name.err"
    qid=$(sed -n 's/^queue_id: //p' "$tmp/$name.out")
}
deliver() {
    name=$1
    shift
    "$DELIVER" -x "$VIRTUAL" -t virtual -n virt.example.test "$inst/spool" incoming "$qid" \
        -- -c "$inst" "$@" >"$tmp/$name.res" 2>"$tmp/$name.derr"
}
check_owner() {
    checks=$((checks + 1))
    got=$(stat -c '%u:%g %a' "$2" 2>/dev/null)
    if [ "$got" = "$3 $4" ]; then
        echo "ok: $1"
    else
        echo "FAILED: $1: $2 is '$got', expected '$3 $4'"
        failures=$((failures + 1))
    fi
}
body='From: <sender@client.example.test>
To: <v1@virt.example.test>
Subject: virtual maildir
Message-ID: <m4@client.example.test>
Date: Mon, 01 Jan 2024 00:00:00 +0000

Hello v1.
From here (line starting with '"'From '"').
'
printf '%s' "$body" >"$tmp/in"

# --- 1. Maildir (value ends in '/') and mbox, one request, three recipients --------
submit m1 -f sender@client.example.test -r v1@virt.example.test -r v2@virt.example.test \
    -r v9@virt.example.test <"$tmp/in"
deliver m1
check_text "results" "v1@virt.example.test: status=0 dsn=2.0.0 action=delivered relay=virtual reason=delivered to maildir
v2@virt.example.test: status=0 dsn=2.0.0 action=delivered relay=virtual reason=delivered to mailbox
v9@virt.example.test: status=2 dsn=5.1.1 action=failed relay=virtual reason=unknown user: \"v9@virt.example.test\"
" "$tmp/m1.res"
f=$(ls "$inst/vmail/virt.example.test/v1/new/")
checks=$((checks + 1))
if echo "$f" | grep -Eq "^[0-9]+\.V[0-9a-f]+I[0-9a-f]+M[0-9]+\.$(uname -n)\$"; then
    echo "ok: maildir name $f"
else
    echo "FAILED: maildir name '$f'"
    failures=$((failures + 1))
fi
check_text "maildir bytes" "Return-Path: <sender@client.example.test>
X-Original-To: v1@virt.example.test
Delivered-To: v1@virt.example.test
$body" "$inst/vmail/virt.example.test/v1/new/$f"
check_owner "maildir file owner" "$inst/vmail/virt.example.test/v1/new/$f" "$vuid:$vgid" 600
check_owner "maildir directory owner" "$inst/vmail/virt.example.test/v1/new" "$vuid:$vgid" 700
sed 's/^\(From sender@client.example.test  \)[A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* 20[0-9][0-9]$/\1DATE/' \
    "$inst/vmail/virt.example.test/v2" >"$tmp/v2"
check_text "mbox bytes" "From sender@client.example.test  DATE
Return-Path: <sender@client.example.test>
X-Original-To: v2@virt.example.test
Delivered-To: v2@virt.example.test
$(printf '%s' "$body" | sed 's/^From here/>From here/')

" "$tmp/v2"
check_owner "mbox owner" "$inst/vmail/virt.example.test/v2" "$vuid:$vgid" 600
grep -Eq "postern/virtual\[[0-9]+\]: $qid: to=<v1@virt.example.test>, relay=virtual, delay=[0-9.]+, delays=[0-9./]+, dsn=2.0.0, status=sent \(delivered to maildir\)" "$inst/maillog"
check_status "log line: maildir" 0 $?
grep -Eq "$qid: to=<v9@virt.example.test>, relay=virtual, .*dsn=5.1.1, status=bounced \(unknown user: \"v9@virt.example.test\"\)" "$inst/maillog"
check_status "log line: unknown user" 0 $?

# --- 2. the second domain: catch-all, extension, original recipient -------------
submit m2 -f sender@client.example.test -r 'x+tag@other.example.test,rfc822;x+tag@other.example.test' <"$tmp/in"
deliver m2
check_text "second domain: result" "x+tag@other.example.test: status=0 dsn=2.0.0 action=delivered relay=virtual reason=delivered to maildir
" "$tmp/m2.res"
f=$(ls "$inst/vmail/other.example.test/catchall/new/")
head -3 "$inst/vmail/other.example.test/catchall/new/$f" >"$tmp/m2.head"
check_text "second domain: headers" "Return-Path: <sender@client.example.test>
X-Original-To: x+tag@other.example.test
Delivered-To: x+tag@other.example.test
" "$tmp/m2.head"

# --- 3. virtual_mailbox_limit and virtual_minimum_uid -----------------------------
size=$(stat -c %s "$inst/vmail/virt.example.test/v2")
submit m3 -f sender@client.example.test -r v2@virt.example.test <"$tmp/in"
deliver m3 -o virtual_mailbox_limit=$((size + 100))
grep -q "status=2 dsn=5.2.2 .*error writing message: File too large" "$tmp/m3.res"
check_status "virtual_mailbox_limit: bounced with 5.2.2" 0 $?
check_status "virtual_mailbox_limit: mailbox unchanged" "$size" "$(stat -c %s "$inst/vmail/virt.example.test/v2")"
deliver m3 -o virtual_minimum_uid=$((vuid + 1))
check_text "virtual_minimum_uid: deferred" "v2@virt.example.test: status=1 dsn=4.3.5 action=delayed relay=virtual reason=mail system configuration error
" "$tmp/m3.res"
grep -q "warning: recipient v2@virt.example.test: bad uid $vuid in virtual_uid_maps" "$inst/maillog"
check_status "virtual_minimum_uid: logged" 0 $?

"$POSTERN" -c "$inst" stop >"$tmp/stop.out" 2>&1
check_status "postern stop" 0 $?
grep -E '(panic|fatal)|runtime error|AddressSanitizer' "$inst/maillog" "$tmp"/*.derr >"$tmp/bad.log"
check_text "no fatal errors or sanitizer reports" "" "$tmp/bad.log"
finish
