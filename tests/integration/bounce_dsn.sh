# bounce_dsn.sh - the bounce daemon (daemons/bounce) on a real instance
# with master, cleanup, qmgr and the error/retry agents (qmgr_lib.sh):
#   a recipient routed to "error:5.1.1 no such user here" bounces; the
#     bounce daemon logs "ID: sender non-delivery notification: NEWID" and,
#     with notify_classes = bounce, "ID: postmaster non-delivery
#     notification: PMID"; qmgr then removes the message;
#   a null-sender message that bounces goes whole to
#     2bounce_notice_recipient (notify_classes = 2bounce), never back to
#     its (empty) sender;
#   every notice is queued with the right envelope (from=<> for the sender's
#     notice, double-bounce@ for postmaster copies);
#   NOTIFY=NEVER: no notice to the sender, the postmaster copy still goes;
#   a bounce of a double-bounce@ message is dropped with a warning;
#   delay_warning_time: qmgr's "warn" request gives the sender a delay
#     warning (Action: delayed, Will-Retry-Until);
#   a success notice (NOTIFY=SUCCESS) from trace/ID, asked for with
#     tests/helpers/bounce-request on a held message (qmgr does not write
#     trace logs yet).
# The notices' recipients are routed to the retry transport so that they
# wait in deferred/, where tests/integration/bounce_dsn_check.py reads each one
# from its queue file, parses it with Python's email package (a valid
# multipart/report with a message/delivery-status part whose fields are
# right) and compares its layout with Postfix's notices in
# /work/shared/reference/dsn.txt (skipped when that file is absent).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/qmgr_lib.sh"

REFERENCE=${DSN_REFERENCE:-/work/shared/reference/dsn.txt}
QMGR_WITH_BOUNCE=1
qmgr_instance bd "notify_classes = resource, software, bounce, 2bounce, delay" \
    "delay_notice_recipient = postmaster@retry.test" \
    "bounce_notice_recipient = postmaster@retry.test" \
    "2bounce_notice_recipient = postmaster@retry.test" \
    "minimal_backoff_time = 100s" "queue_run_delay = 100s" "delay_warning_time = 1s"
# qmgr_lib.sh links the stand-in for the bounce service; this test wants
# the real daemon. The master starts a service's program when its first
# client connects, and nothing has bounced yet.
ln -sf "$top_builddir/daemons/bounce/bounce" "$inst/libexec/bounce"

# wait_file QUEUE ID: prints the path once the file is in QUEUE (10 s).
wait_file() {
    local f
    for _ in $(seq 100); do
        f=$(find_file "$1" "$2")
        [ -n "$f" ] && { echo "$f"; return 0; }
        sleep 0.1
    done
    return 1
}

# check_notice KIND NOTICE_ID ORIG_ID RCPT ACTION STATUS DIAG: the notice waits in
# deferred/ and passes bounce_dsn_check.py.
check_notice() {
    local f
    checks=$((checks + 1))
    if ! f=$(wait_file deferred "$2"); then
        echo "FAILED: $1: notice $2 not in deferred/"
        failures=$((failures + 1))
        return
    fi
    # BOUNCE_DSN_SAVE=DIR keeps a copy of each notice's queue file.
    [ -n "${BOUNCE_DSN_SAVE:-}" ] && cp "$f" "$BOUNCE_DSN_SAVE/$1.queue"
    if [ ! -f "$REFERENCE" ]; then
        echo "ok: $1: notice queued (reference $REFERENCE absent: layout not compared)"
        return
    fi
    if /usr/bin/python3 "$top_srcdir/tests/integration/bounce_dsn_check.py" "$1" "$f" "$3" "$4" \
        "$5" "$6" "$7" "$REFERENCE" >"$tmp/py.out" 2>&1; then
        echo "ok: $1: notice parses as a delivery status report like Postfix's" \
            "($(grep -c '^ok:' "$tmp/py.out") checks in bounce_dsn_check.py)"
    else
        echo "FAILED: $1: bounce_dsn_check.py"
        grep -v '^ok:' "$tmp/py.out" | head -20
        failures=$((failures + 1))
    fi
}

# --- a bounce: the sender's notice and the postmaster copy --------------------------
send one alice@retry.test gone@error.test
oqid=$qid
check_log "bounce: recipient bounced" "$oqid: to=<gone@error.test>.*dsn=5.1.1, status=bounced"
check_log "bounce: sender notice logged" \
    "postern/bounce\[[0-9]+\]: $oqid: sender non-delivery notification: [0-9A-Za-z]+"
check_log "bounce: postmaster copy logged" \
    "postern/bounce\[[0-9]+\]: $oqid: postmaster non-delivery notification: [0-9A-Za-z]+"
check_log "bounce: original removed" "qmgr\[[0-9]+\]: $oqid: removed"
nid=$(sed -n "s/.*: $oqid: sender non-delivery notification: //p" "$inst/maillog" | head -1)
pid=$(sed -n "s/.*: $oqid: postmaster non-delivery notification: //p" "$inst/maillog" | head -1)
check_log "bounce: notice from the null sender" \
    "qmgr\[[0-9]+\]: $nid: from=<>, size=[0-9]+, nrcpt=1"
check_log "bounce: postmaster copy from double-bounce" \
    "qmgr\[[0-9]+\]: $pid: from=<double-bounce@mx.example.test>, size=[0-9]+, nrcpt=1"
check_log "bounce: notice to the sender" "$nid: to=<alice@retry.test>.*status=deferred"
check_notice sender "$nid" "$oqid" gone@error.test failed 5.1.1 "X-Postern; no such user here"
check_notice postmaster "$pid" "$oqid" gone@error.test failed 5.1.1 \
    "X-Postern; no such user here"
check_status "bounce: the logs are gone" "" "$(find_file bounce "$oqid")$(find_file defer "$oqid")"

# --- a double bounce: null sender -> the whole message to the postmaster ------------
send two "" gone2@error.test
dqid=$qid
check_log "2bounce: recipient bounced" "$dqid: to=<gone2@error.test>.*status=bounced"
check_log "2bounce: postmaster notice logged" \
    "$dqid: postmaster non-delivery notification: [0-9A-Za-z]+"
check_log "2bounce: removed" "qmgr\[[0-9]+\]: $dqid: removed"
check_no_log "2bounce: nothing to the empty sender" "$dqid: sender non-delivery notification"
did=$(sed -n "s/.*: $dqid: postmaster non-delivery notification: //p" "$inst/maillog" | head -1)
check_notice 2bounce "$did" "$dqid" gone2@error.test failed 5.1.1 "X-Postern; no such user here"

# --- NOTIFY=NEVER: the postmaster copy only ------------------------------------------
printf 'From: <alice@retry.test>\nSubject: never\n\nbody\n' |
    "$SUBMIT" -f alice@retry.test -N 1 -r gone3@error.test "$SOCK" >"$tmp/never.out" 2>&1
never=$(sed -n 's/^queue_id: //p' "$tmp/never.out")
check_log "never: postmaster copy" "$never: postmaster non-delivery notification: "
check_log "never: removed" "qmgr\[[0-9]+\]: $never: removed"
check_no_log "never: nothing to the sender" "$never: sender non-delivery notification"

# --- a bounce of a double-bounce message is dropped ------------------------------------
send four double-bounce@mx.example.test gone4@error.test
dbl=$qid
check_log "double-bounce sender: dropped" "$dbl: undeliverable postmaster notification discarded"
check_log "double-bounce sender: removed" "qmgr\[[0-9]+\]: $dbl: removed"
check_no_log "double-bounce sender: no notice" "$dbl: (sender|postmaster) non-delivery"

# --- a delay warning through qmgr ----------------------------------------------------
send five alice@retry.test slow@retry.test
wqid=$qid
check_log "delay: deferred" "$wqid: to=<slow@retry.test>.*dsn=4.4.1, status=deferred"
sleep 1.5
"$POSTERN" -c "$inst" flush >/dev/null 2>&1
check_log "delay: sender delay notification" "$wqid: sender delay notification: [0-9A-Za-z]+"
wid=$(sed -n "s/.*: $wqid: sender delay notification: //p" "$inst/maillog" | head -1)
check_log "delay: postmaster delay notification" \
    "$wqid: postmaster delay notification: [0-9A-Za-z]+"
# The last attempt's reason: the agent's, or qmgr's when it held back a
# destination that had just failed.
check_notice delay "$wid" "$wqid" slow@retry.test delayed 4.4.1 \
    "X-Postern; (delivery temporarily suspended: )?try again later"

# --- a success notice from trace/ID ----------------------------------------------------
printf 'From: <alice@retry.test>\nSubject: success\n\nbody\n' |
    "$SUBMIT" -f alice@retry.test -e env-success -R 1 -N 2 -r bob@discard.test -F 4 "$SOCK" \
        >"$tmp/trace.out" 2>&1
tqid=$(sed -n 's/^queue_id: //p' "$tmp/trace.out")
record='v=1\trecipient=bob@discard.test\tnotify=2\tstatus=2.0.0\taction=delivered'
printf '%b\n' "$record\trelay=local\treason=delivered to maildir" >"$SPOOL/trace/$tqid"
check_status "trace: bounce-request" "status: 0 " \
    "$("$top_builddir/tests/helpers/bounce-request" "$SPOOL/private/bounce" trace hold "$tqid")"
check_log "trace: sender delivery status notification" \
    "$tqid: sender delivery status notification: [0-9A-Za-z]+"
sid=$(sed -n "s/.*: $tqid: sender delivery status notification: //p" "$inst/maillog" | head -1)
check_notice success "$sid" "$tqid" bob@discard.test delivered 2.0.0 \
    "X-Postern; delivery via local: delivered to maildir"
check_status "trace: a bad request is refused" 2 \
    "$("$top_builddir/tests/helpers/bounce-request" "$SPOOL/private/bounce" trace hold ../x \
        >/dev/null 2>&1; echo $?)"

# --- the original is gone: the notice still goes, without it -------------------------
gone=1234567890A
printf 'v=1\trecipient=lost@error.test\tstatus=5.1.1\taction=failed\treason=no such user here\n' \
    >"$SPOOL/bounce/$gone"
check_status "no original: bounce-request" "status: 0 " \
    "$("$top_builddir/tests/helpers/bounce-request" "$SPOOL/private/bounce" flush active "$gone" \
        alice@retry.test)"
check_log "no original: warned" "$gone: cannot read the original message"
check_log "no original: notice sent anyway" "$gone: sender non-delivery notification: "
rm -f "$SPOOL/bounce/$gone"

check_no_log "no sanitizer or panic" "panic|fatal|AddressSanitizer|runtime error"
"$POSTERN" -c "$inst" stop >/dev/null 2>&1
finish
