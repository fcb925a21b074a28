# queue_tools_super.sh - postsuper on the queue of queue-listing.txt, with
# Postfix's stderr and maillog lines (queue-listing.txt section 3 and 5):
#   -h / -H (one ID, again, ALL deferred, ALL), -d (unknown, invalid, one,
#   again, "-" on stdin, ALL deferred), -r (a new maildrop file, the old
#   one gone), -e (the expire mark, '#' in the listing), -j;
#   -d ALL and -d - (on a FIFO) remove the defer/bounce/trace logs of what
#   they delete, also logs written during the run, but not a log whose
#   queue file is missing nor one whose ID has a queue file again;
#   -s: a corrupt file is moved to corrupt/ and reported, a misplaced file
#   goes back to its hash directory, a file whose name does not match its
#   inode is renamed; -p removes a stale temporary file;
#   postqueue -i: a deferred message that is not due is delivered at once;
#   -r with pickup and cleanup running: the copy is delivered under a new ID;
#   during delivery of 2,000 messages by qmgr, hold/release of incoming and
#   deferred in a loop and the deletion of every 20th message (postsuper -d -,
#   active files included) lose no other message and deliver none twice.
#   Not covered: holding a message that qmgr has open in active/ and
#   releasing it while that delivery is still pending makes qmgr open it a
#   second time (its incoming/deferred scan does not skip IDs it has open),
#   so it can be delivered twice; the fix belongs in qmgr_scan().
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/queue_tools_lib.sh"

QT_SHOWQ_ONLY=1
qt_instance qs
fill_reference_queue
A=$(cat "$tmp/id.A") H=$(cat "$tmp/id.H") D1=$(cat "$tmp/id.D1") D2=$(cat "$tmp/id.D2") D3=$(cat "$tmp/id.D3")

# ps EXPECTED_STDERR ARGS...: postsuper ARGS; stderr must be EXPECTED_STDERR.
ps() {
    local want=$1
    shift
    "$POSTSUPER" -c "$inst" "$@" >"$tmp/ps.out" 2>"$tmp/ps.err" </dev/null
    check_status "postsuper $*" 0 $?
    check_text "postsuper $*: messages" "$want" "$tmp/ps.err"
}

ps "postsuper: $D2: placed on hold
postsuper: Placed on hold: 1 message
" -h "$D2"
ps "postsuper: Placed on hold: 0 messages
" -h "$D2"
ps "postsuper: $D2: released from hold
postsuper: Released from hold: 1 message
" -H "$D2"
ps "postsuper: Released from hold: 0 messages
" -H "$D2"
"$POSTSUPER" -c "$inst" -h ALL deferred 2>"$tmp/hall.err"
tail -1 "$tmp/hall.err" >"$tmp/hall.last"
check_text "postsuper -h ALL deferred" "postsuper: Placed on hold: 3 messages
" "$tmp/hall.last"
check_status "hold/ holds four" 4 "$(queue_files hold)"
"$POSTSUPER" -c "$inst" -H ALL 2>"$tmp/Hall.err"
tail -1 "$tmp/Hall.err" >"$tmp/Hall.last"
check_text "postsuper -H ALL" "postsuper: Released from hold: 4 messages
" "$tmp/Hall.last"
ps "postsuper: Deleted: 0 messages
" -d NOSUCHID123
ps "postsuper: warning: invalid mail queue id: bad!id
postsuper: Deleted: 0 messages
" -d 'bad!id'
ps "postsuper: $D3: removed
postsuper: Deleted: 1 message
" -d "$D3"
ps "postsuper: Deleted: 0 messages
" -d "$D3"
check_status "D3's defer log removed too" 0 "$(find "$SPOOL/defer" -name "$D3" | wc -l)"
echo "$H" | "$POSTSUPER" -c "$inst" -d - 2>"$tmp/stdin.err"
check_text "postsuper -d - (stdin)" "postsuper: $H: removed
postsuper: Deleted: 1 message
" "$tmp/stdin.err"
check_log "maillog: removed line" "postern/postsuper\[[0-9]+\]: $H: removed"
check_log "maillog: summary line" "postern/postsuper\[[0-9]+\]: Deleted: 1 message$"

# -e: the expire mark shows as '#'
ps "postsuper: $D2: expired
postsuper: Expired: 1 message
" -e "$D2"
"$POSTQUEUE" -c "$inst" -p >"$tmp/exp.out" 2>/dev/null
check_status "listing marks the expired message with #" 1 "$(grep -c "^$D2#" "$tmp/exp.out")"
"$POSTQUEUE" -c "$inst" -j 2>/dev/null | grep "\"$D2\"" >"$tmp/expj.out"
check_status "json: forced_expire true" 1 "$(grep -c '"forced_expire": true' "$tmp/expj.out")"

# -j: one JSON line per action and a summary line
"$POSTSUPER" -c "$inst" -j -h "$D2" >"$tmp/j.out" 2>"$tmp/j.err"
check_text "postsuper -j" "{\"queue_id\": \"$D2\", \"queue_name\": \"deferred\", \"action\": \"placed on hold\"}
{\"summary\": \"Placed on hold\", \"count\": 1}
" "$tmp/j.out"
check_text "postsuper -j: stderr quiet" "" "$tmp/j.err"

# -r: a new maildrop file with the envelope and content; the old file goes
ps "postsuper: $D1: requeued
postsuper: Requeued: 1 message
" -r "$D1"
check_status "requeue: old file gone" 0 "$(find "$SPOOL" -name "$D1" | wc -l)"
new=$(ls "$SPOOL/maildrop")
"$POSTCAT" -c "$inst" -q "$new" >"$tmp/rq.out" 2>&1
checks=$((checks + 1))
if [ -n "$new" ] && grep -qx "recipient: s2@sink451.example.test" "$tmp/rq.out" &&
    grep -qx "sender: sender@client.example.test" "$tmp/rq.out" &&
    grep -qx "Subject: queue-fill" "$tmp/rq.out"; then
    echo "ok: requeue: maildrop copy"
else
    echo "FAILED: requeue: maildrop copy"
    cat "$tmp/rq.out"
    failures=$((failures + 1))
fi

# --- bulk deletes and the per-message logs ------------------------------------------
# -d ALL and -d - list the defer/bounce/trace logs once: every log of a
# message they delete goes, a log whose queue file is not there stays, a
# log written for a deleted message during the run goes at the end (unless
# a queue file of that ID exists again by then).
"$POSTSUPER" -c "$inst" -d ALL 2>/dev/null
fill deferred L1 -r l1@refused.example.test -R "refused"
fill deferred L2 -r l2@refused.example.test -R "refused"
fill hold L3 -r l3@mx.example.test
fill deferred L4 -r l4@refused.example.test -R "refused"
fill deferred L5 -r l5@mx.example.test
fill deferred O -r o@refused.example.test -R "refused"
L1=$(cat "$tmp/id.L1") L2=$(cat "$tmp/id.L2") L3=$(cat "$tmp/id.L3") L4=$(cat "$tmp/id.L4")
L5=$(cat "$tmp/id.L5") O=$(cat "$tmp/id.O")
log1=$(find_file defer "$L1")
as_queue_owner cp "$log1" "$SPOOL/bounce/$L1"
as_queue_owner cp "$log1" "$SPOOL/trace/$L1"
as_queue_owner rm -f "$(find_file deferred "$O")" # O: a defer log without its queue file
# -d - on a FIFO: L4 and L5 are deleted, then logs appear for both, then a
# queue file named L5 comes back; the end of input ends the run.
mkfifo "$tmp/ids.fifo"
"$POSTSUPER" -c "$inst" -d - <"$tmp/ids.fifo" 2>"$tmp/fifo.err" &
pspid=$!
exec 7>"$tmp/ids.fifo"
printf '%s\n%s\n' "$L4" "$L5" >&7
for _ in $(seq 100); do
    [ -z "$(find_file deferred "$L4")" ] && [ -z "$(find_file deferred "$L5")" ] && break
    sleep 0.1
done
as_queue_owner cp "$log1" "$SPOOL/trace/$L4" # written meanwhile
as_queue_owner cp "$log1" "$SPOOL/bounce/$L5"
as_queue_owner cp "$log1" "$SPOOL/hold/$L5" # L5 is a queue file again
exec 7>&-
wait "$pspid"
check_status "postsuper -d - (FIFO)" 0 $?
check_text "postsuper -d - (FIFO): messages" "postsuper: $L4: removed
postsuper: $L5: removed
postsuper: Deleted: 2 messages
" "$tmp/fifo.err"
check_status "-d -: L4's defer log and the trace log written meanwhile are gone" 0 \
    "$(find "$SPOOL/defer" "$SPOOL/bounce" "$SPOOL/trace" -name "$L4" | wc -l)"
check_status "-d -: a log of L5, a queue file again, stays" 1 \
    "$(find "$SPOOL/defer" "$SPOOL/bounce" "$SPOOL/trace" -name "$L5" | wc -l)"
as_queue_owner rm -f "$SPOOL/hold/$L5" "$SPOOL/bounce/$L5"
"$POSTSUPER" -c "$inst" -d ALL 2>"$tmp/dall.err"
sort "$tmp/dall.err" >"$tmp/dall.sorted"
printf 'postsuper: %s: removed\n' "$L1" "$L2" "$L3" | sort >"$tmp/dall.want"
echo "postsuper: Deleted: 3 messages" >>"$tmp/dall.want"
sort "$tmp/dall.want" -o "$tmp/dall.want"
check_same "postsuper -d ALL: one line per message and the count" "$tmp/dall.want" "$tmp/dall.sorted"
tail -1 "$tmp/dall.err" >"$tmp/dall.last"
check_text "postsuper -d ALL: the count comes last" "postsuper: Deleted: 3 messages
" "$tmp/dall.last"
check_status "-d ALL: the defer, bounce and trace logs of L1 and L2 are gone" 0 \
    "$(find "$SPOOL/defer" "$SPOOL/bounce" "$SPOOL/trace" -name "$L1" -o -name "$L2" | wc -l)"
check_status "-d ALL: the queue is empty" 0 \
    "$(find "$SPOOL/incoming" "$SPOOL/active" "$SPOOL/deferred" "$SPOOL/hold" -type f | wc -l)"
check_status "-d ALL: a log without a queue file stays" 1 "$(find "$SPOOL/defer" -name "$O" | wc -l)"
as_queue_owner rm -f "$(find_file defer "$O")"

# --- -s and -p ---------------------------------------------------------------------
"$POSTSUPER" -c "$inst" -d ALL 2>/dev/null
as_queue_owner "$FILL" -c "$inst" -q deferred -n 3 >"$tmp/s.ids"
bad=$(sed -n 1p "$tmp/s.ids") lost=$(sed -n 2p "$tmp/s.ids") copy=$(sed -n 3p "$tmp/s.ids")
f=$(find_file deferred "$bad")
as_queue_owner truncate -s 300 "$f" # cut in the middle of the content
f=$(find_file deferred "$lost")
as_queue_owner mv "$f" "$SPOOL/deferred/$lost" # misplaced: not in its hash directory
f=$(find_file deferred "$copy")
as_queue_owner cp -p "$f" "$f.new" && as_queue_owner mv -f "$f.new" "$f" # another inode
as_queue_owner touch "$SPOOL/incoming/tmp.999999999.1"
"$POSTSUPER" -c "$inst" -s -p >"$tmp/s.out" 2>"$tmp/s.err"
check_status "postsuper -s -p" 0 $?
check_status "-s: corrupt file moved" 1 "$(find "$SPOOL/corrupt" -name "$bad" | wc -l)"
check_log "-s: corrupt file reported" "$bad: corrupt queue file deferred/./$bad: .*; moved to corrupt"
checks=$((checks + 1))
if [ -z "$(find "$SPOOL/deferred" -maxdepth 1 -type f)" ] && [ -n "$(find_file deferred "$lost")" ]; then
    echo "ok: -s: misplaced file moved to its hash directory"
else
    echo "FAILED: -s: misplaced file"
    failures=$((failures + 1))
fi
grep -q "$copy: renamed to [0-9A-Za-z]* to match inode number" "$tmp/s.err"
check_status "-s: renamed to match the inode" 0 $?
check_status "-s: old name gone" 0 "$(find "$SPOOL/deferred" -name "$copy" | wc -l)"
check_status "-p: stale temporary file removed" 0 "$(find "$SPOOL/incoming" -name 'tmp.*' | wc -l)"
"$POSTSUPER" -c "$inst" -s >"$tmp/s2.out" 2>"$tmp/s2.err"
check_text "-s again: nothing to repair" "" "$tmp/s2.err"
qt_stop

# --- postsuper while qmgr delivers 2,000 messages ---------------------------
QT_SHOWQ_ONLY=0
qt_instance qd
qt_start
TOTAL=${QT_TOTAL:-2000}
as_queue_owner "$FILL" -c "$inst" -q incoming -n "$TOTAL" -r user@discard.test >"$tmp/ids"
"$POSTQUEUE" -c "$inst" -f
awk 'NR % 20 == 0' "$tmp/ids" >"$tmp/del.ids" # deleted mid-delivery
awk 'NR % 20 != 0' "$tmp/ids" >"$tmp/keep.ids"
for round in 1 2 3 4 5; do
    [ "$round" = 3 ] && "$POSTSUPER" -c "$inst" -d - <"$tmp/del.ids" >/dev/null 2>&1
    # incoming and deferred only: see the note on active/ above
    "$POSTSUPER" -c "$inst" -h ALL incoming deferred >/dev/null 2>&1
    sleep 0.2
    "$POSTSUPER" -c "$inst" -H ALL >/dev/null 2>&1
    "$POSTQUEUE" -c "$inst" -f
    sleep 0.2
done
"$POSTSUPER" -c "$inst" -H ALL >/dev/null 2>&1
for _ in $(seq 600); do
    "$POSTQUEUE" -c "$inst" -f
    [ "$(find "$SPOOL/incoming" "$SPOOL/active" "$SPOOL/deferred" "$SPOOL/hold" -type f | wc -l)" = 0 ] && break
    sleep 0.5
done
left=$(find "$SPOOL/incoming" "$SPOOL/active" "$SPOOL/deferred" "$SPOOL/hold" -type f | wc -l)
check_status "during delivery: queue drained" 0 "$left"
grep -o 'discard\[[0-9]*\]: [0-9A-Za-z]*: to=<[^>]*>.*status=sent' "$inst/maillog" |
    sed 's/^discard\[[0-9]*\]: \([0-9A-Za-z]*\): .*/\1/' | sort | uniq -c >"$tmp/counts"
missing=0
while read -r id; do
    grep -q " $id\$" "$tmp/counts" || missing=$((missing + 1))
done <"$tmp/keep.ids"
check_status "during delivery: none lost (but the deleted ones)" 0 "$missing"
check_status "during delivery: none delivered twice" 0 "$(awk '$1 > 1' "$tmp/counts" | wc -l)"
# -i: a deferred message that is not due goes to incoming/ and is delivered now
fi_id=$(as_queue_owner "$FILL" -c "$inst" -q deferred -r flushid@discard.test)
as_queue_owner touch -d "+1 day" "$(find_file deferred "$fi_id")"
"$POSTQUEUE" -c "$inst" -i "$fi_id"
check_status "postqueue -i" 0 $?
check_log "postqueue -i: delivered now" "discard\[[0-9]+\]: $fi_id: to=<flushid@discard.test>, .*status=sent"
"$POSTQUEUE" -c "$inst" -i NOSUCHID123
check_status "postqueue -i unknown ID" 0 $?

# -r with the mail system up: pickup sends the copy through cleanup again
rq=$(as_queue_owner "$FILL" -c "$inst" -q hold -r requeue@discard.test)
"$POSTSUPER" -c "$inst" -r "$rq" 2>"$tmp/rq2.err"
check_text "requeue (up)" "postsuper: $rq: requeued
postsuper: Requeued: 1 message
" "$tmp/rq2.err"
check_log "requeue (up): delivered under a new ID" "discard\[[0-9]+\]: [0-9A-Za-z]+: to=<requeue@discard.test>, .*status=sent"
check_status "requeue (up): not under the old ID" 0 "$(grep -c "$rq: to=<requeue" "$inst/maillog")"
checks=$((checks + 1))
if grep -Eq "AddressSanitizer|runtime error|panic" "$inst/maillog"; then
    echo "FAILED: sanitizer or panic in the log"
    grep -E "AddressSanitizer|runtime error|panic" "$inst/maillog" | head -3
    failures=$((failures + 1))
else
    echo "ok: no sanitizer report or panic"
fi
qt_stop
finish
