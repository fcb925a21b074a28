# qmgr_trace.sh - DSN success notices (RFC 3461 NOTIFY=SUCCESS) end to end,
# on an instance with master, cleanup, qmgr, the discard/error/retry agents
# and the real bounce daemon (qmgr_lib.sh with QMGR_WITH_BOUNCE=1):
#   a recipient delivered with NOTIFY=SUCCESS: qmgr writes its trace/ID
#     record, sends the bounce daemon the "trace" request, and the sender
#     gets "ID: sender delivery status notification: NEWID", a
#     multipart/report whose delivery-status part says Action: delivered
#     (or relayed) for that recipient; the message and its trace log are
#     then removed;
#   the same without NOTIFY=SUCCESS: no trace log, no notice;
#   NOTIFY=SUCCESS for one recipient of two: the notice names only it;
#   a delivered NOTIFY=SUCCESS recipient next to a deferred one: the trace
#     log waits with the message in deferred/ and no notice goes yet;
#   the bounce service away (its socket renamed): the finished message and
#     its trace log are kept in deferred/, and after a flush the notice goes
#     and the message is removed, its recipient delivered only once.
# The notices go to alice@retry.test, so they wait in deferred/ where
# their queue files are read.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/qmgr_lib.sh"

QMGR_WITH_BOUNCE=1
qmgr_instance qt "minimal_backoff_time = 100s" "queue_run_delay = 100s"
# qmgr_lib.sh links the stand-in for the bounce service; this test wants
# the real daemon (started by the master at its first client).
ln -sf "$top_builddir/daemons/bounce/bounce" "$inst/libexec/bounce"

# send_notify NAME NOTIFY RCPT [NOTIFY RCPT]...: like send, with DSN NOTIFY
# bits per recipient; sets $qid.
send_notify() {
    local name=$1 args=()
    shift
    while [ $# -ge 2 ]; do
        args+=(-N "$1" -r "$2")
        shift 2
    done
    printf 'From: <alice@retry.test>\nSubject: %s\n\nbody of %s\n' "$name" "$name" |
        "$SUBMIT" -f alice@retry.test -a rewrite_context=local "${args[@]}" "$SOCK" \
            >"$tmp/$name.out" 2>"$tmp/$name.err"
    qid=$(sed -n 's/^queue_id: //p' "$tmp/$name.out")
}

# notice_text ID: the message in deferred/ID (waits up to 10 s), decoded
# from its records (queue_rec.h: type byte, base-128 length, data; content
# between MESG and XTRA), then read by Python's email package, which adds
# one line per field of each per-recipient group of its
# message/delivery-status part: "dsn: NAME: VALUE".
notice_text() {
    local f
    for _ in $(seq 100); do
        f=$(find_file deferred "$1")
        [ -n "$f" ] && break
        sleep 0.1
    done
    [ -n "$f" ] || return 0
    /usr/bin/python3 - "$f" "$top_srcdir/tests/integration" <<'PY'
import email
import sys

sys.path.insert(0, sys.argv[2])
from bounce_dsn_check import queue_content

content = queue_content(sys.argv[1])
sys.stdout.write(content.decode('utf-8', 'replace'))
msg = email.message_from_bytes(content)
print('mime: ' + msg.get_content_type() + '; report-type=' + str(msg.get_param('report-type')))
for part in msg.walk():
    if part.get_content_type() == 'message/delivery-status':
        for group in part.get_payload()[1:]:
            for name, value in group.items():
                print('dsn: %s: %s' % (name, ' '.join(value.split())))
PY
}

# check_text NAME REGEX TEXT: TEXT has a line matching REGEX.
check_text() {
    checks=$((checks + 1))
    if printf '%s\n' "$3" | grep -Eq -- "$2"; then
        echo "ok: $1"
    else
        echo "FAILED: $1: nothing matches $2"
        failures=$((failures + 1))
    fi
}

# --- NOTIFY=SUCCESS: a success notice --------------------------------------------
send_notify success 2 bob@discard.test
sqid=$qid
check_log "success: delivered" "$sqid: to=<bob@discard.test>.*status=sent"
check_log "success: sender delivery status notification" \
    "$sqid: sender delivery status notification: [0-9A-Za-z]+"
check_log "success: removed" "qmgr\[[0-9]+\]: $sqid: removed"
nid=$(sed -n "s/.*: $sqid: sender delivery status notification: //p" "$inst/maillog" | head -1)
text=$(notice_text "$nid")
check_text "success: notice is a multipart/report" \
    '^mime: multipart/report; report-type=delivery-status$' "$text"
check_text "success: Subject" '^Subject: Successful Mail Delivery Report' "$text"
check_text "success: Final-Recipient" '^dsn: Final-Recipient: rfc822; ?bob@discard.test$' "$text"
check_text "success: Action: delivered or relayed" '^dsn: Action: (delivered|relayed)$' "$text"
check_text "success: Status: 2.0.0" '^dsn: Status: 2\.0\.0$' "$text"
checks=$((checks + 1))
if [ -z "$(find_file trace "$sqid")$(find_file active "$sqid")$(find_file deferred "$sqid")" ]
then
    echo "ok: success: queue file and trace log gone"
else
    echo "FAILED: success: something left behind"
    failures=$((failures + 1))
fi

# --- without NOTIFY=SUCCESS: nothing -------------------------------------------------
send_notify plain 4 carol@discard.test
pqid=$qid
check_log "plain: removed" "qmgr\[[0-9]+\]: $pqid: removed"
sleep 0.5
check_no_log "plain: no notice" "$pqid: sender delivery status notification"
check_status "plain: no trace log" "" "$(find_file trace "$pqid")"

# --- one of two recipients asked for it -------------------------------------------------
send_notify mixed 2 dave@discard.test 0 erin@discard.test
mqid=$qid
check_log "mixed: notice" "$mqid: sender delivery status notification: [0-9A-Za-z]+"
check_log "mixed: removed" "qmgr\[[0-9]+\]: $mqid: removed"
mid=$(sed -n "s/.*: $mqid: sender delivery status notification: //p" "$inst/maillog" | head -1)
text=$(notice_text "$mid")
check_text "mixed: names dave" '^dsn: Final-Recipient: rfc822; ?dave@discard.test$' "$text"
checks=$((checks + 1))
if printf '%s\n' "$text" | grep -q '^dsn: .*erin@discard.test'; then
    echo "FAILED: mixed: the notice names erin (no NOTIFY=SUCCESS)"
    failures=$((failures + 1))
else
    echo "ok: mixed: erin is not in the notice"
fi

# --- delivered next to deferred: the trace log waits --------------------------------
send_notify waiting 2 fred@discard.test 0 slow@retry.test
wqid=$qid
check_log "waiting: one deferred" "$wqid: to=<slow@retry.test>.*status=deferred"
for _ in $(seq 50); do [ -n "$(find_file deferred "$wqid")" ] && break; sleep 0.1; done
checks=$((checks + 1))
if [ -n "$(find_file deferred "$wqid")" ] && [ -n "$(find_file trace "$wqid")" ]; then
    echo "ok: waiting: message and trace log wait in deferred/"
else
    echo "FAILED: waiting: deferred/ '$(find_file deferred "$wqid")'" \
        "trace/ '$(find_file trace "$wqid")'"
    failures=$((failures + 1))
fi
check_no_log "waiting: no notice yet" "$wqid: sender delivery status notification"

# --- the bounce service away: the message waits, then the notice goes ----------------
mv "$SPOOL/private/bounce" "$SPOOL/private/bounce.away"
send_notify away 2 gina@discard.test
aqid=$qid
check_log "away: warned" \
    "$aqid: cannot send delivery status notification: .*message kept in the deferred queue"
for _ in $(seq 50); do [ -n "$(find_file deferred "$aqid")" ] && break; sleep 0.1; done
checks=$((checks + 1))
if [ -n "$(find_file deferred "$aqid")" ] && [ -n "$(find_file trace "$aqid")" ]; then
    echo "ok: away: message and trace log kept in deferred/"
else
    echo "FAILED: away: deferred/ '$(find_file deferred "$aqid")'" \
        "trace/ '$(find_file trace "$aqid")'"
    failures=$((failures + 1))
fi
mv "$SPOOL/private/bounce.away" "$SPOOL/private/bounce"
"$POSTERN" -c "$inst" flush >/dev/null 2>&1
check_log "away: notice once the service is back" \
    "$aqid: sender delivery status notification: [0-9A-Za-z]+"
check_log "away: removed" "qmgr\[[0-9]+\]: $aqid: removed"
check_status "away: delivered once" 1 "$(grep -c "$aqid: to=<gina@discard.test>" "$inst/maillog")"

check_no_log "no sanitizer or panic" "panic|fatal|AddressSanitizer|runtime error"
"$POSTERN" -c "$inst" stop >/dev/null 2>&1
finish
