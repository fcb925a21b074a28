#!/usr/bin/env bash
# qmgr_redirect_filter.sh - the REDIRECT and FILTER actions of header_checks
# change where qmgr sends a message: REDIRECT delivers every recipient to
# the given address (orig_to keeps the original), FILTER sends every
# recipient through the given transport:nexthop. Without either, the same
# recipient (@retry.test) is deferred.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/qmgr_lib.sh"

checks_file=$tmp/header_checks
qmgr_instance rf "header_checks = regexp:$checks_file" "minimal_backoff_time = 300s"
cat >"$checks_file" <<'EOT'
/^Subject: redirect me/ REDIRECT other@discard.test
/^Subject: filter me/ FILTER discard:filtered
EOT

send "redirect me" alice@mx.example.test user@retry.test
check_log "REDIRECT: delivered to the new address, orig_to kept" \
    "discard\[[0-9]+\]: $qid: to=<other@discard.test>, orig_to=<user@retry.test>, relay=none, .*status=sent"
check_log "REDIRECT: removed" "qmgr\[[0-9]+\]: $qid: removed"

send "filter me" alice@mx.example.test user2@retry.test
check_log "FILTER: sent through the filter transport" \
    "discard\[[0-9]+\]: $qid: to=<user2@retry.test>, relay=none, .*status=sent \(filtered\)"

send "plain" alice@mx.example.test user3@retry.test
check_log "no action: the recipient's own route (deferred)" \
    "$qid: to=<user3@retry.test>, .*status=deferred"
"$POSTERN" -c "$inst" stop >/dev/null 2>&1
finish
