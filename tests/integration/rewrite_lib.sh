# rewrite_lib.sh - shared part of the rewrite_*.sh tests (sourced after
# lib.sh): boots a private cleanup-only instance with extra main.cf lines,
# submits messages through tests/helpers/cleanup-submit and reads the
# queue files back with tests/helpers/queue-dump. Every instance started
# is stopped when the test exits; every wait is a bounded poll.
POSTERN=$top_builddir/src/postern/postern
SUBMIT=$top_builddir/tests/helpers/cleanup-submit
DUMP=$top_builddir/tests/helpers/queue-dump
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
started=""
trap 'for i in $started; do "$POSTERN" -c "$i" stop >/dev/null 2>&1; done; rm -rf "$tmp"' EXIT

# start_instance NAME < extra-main.cf-lines: sets $inst, $SOCK, $SPOOL.
start_instance() {
    inst=$(instance "$1")
    chmod 755 "$tmp" "$inst"
    mkdir -p "$inst/libexec"
    ln -s "$top_builddir/daemons/master/master" "$inst/libexec/master"
    ln -s "$top_builddir/daemons/cleanup/cleanup" "$inst/libexec/cleanup"
    {
        echo "queue_directory = $inst/spool"
        echo "data_directory = $inst/data"
        echo "daemon_directory = $inst/libexec"
        echo "maillog_file = $inst/maillog"
        echo "maillog_file_prefixes = $tmp"
        echo "import_environment = MAIL_CONFIG TZ LANG=C ASAN_OPTIONS UBSAN_OPTIONS"
        if [ "$(id -u)" != 0 ]; then
            echo "mail_owner = $(id -un)"
            echo "setgid_group = $(id -gn)"
        fi
        cat
    } >"$inst/main.cf"
    echo "cleanup   unix  n       -       n       -       0       cleanup" >"$inst/master.cf"
    SOCK=$inst/spool/public/cleanup
    SPOOL=$inst/spool
    "$POSTERN" -c "$inst" start >"$tmp/start-$1.out" 2>&1
    check_status "$1: postern start" 0 $?
    started="$started $inst"
    for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
}

# submit NAME [cleanup-submit options] < content: output in $tmp/NAME.out,
# the queue ID in $qid.
submit() {
    name=$1
    shift
    "$SUBMIT" "$@" "$SOCK" >"$tmp/$name.out" 2>"$tmp/$name.err"
    qid=$(sed -n 's/^queue_id: //p' "$tmp/$name.out")
}

# dump NAME [QUEUE]: the envelope and content of $qid (queue: incoming),
# times, the queue ID and dates replaced by placeholders, in $tmp/NAME.dump.
dump() {
    "$DUMP" "$SPOOL/${2:-incoming}/$qid" |
        sed -e "s/$qid/QID/g" \
            -e '/^\(message_size\|message_arrival_time\|create_time\|mode\|queue_file_version\): /d' \
            -e 's/[A-Z][a-z][a-z], [ 0-9][0-9] [A-Z][a-z][a-z] 20[0-9][0-9] [0-9:]* [-+][0-9]\{4\}\( ([A-Za-z0-9+-]*)\)\{0,1\}/DATE/' \
            -e 's/<20[0-9]\{12\}\.QID@/<STAMP.QID@/' >"$tmp/$1.dump"
}

# no_file NAME: $qid left nothing in incoming/ or hold/.
no_file() {
    checks=$((checks + 1))
    if [ -n "$qid" ] && [ ! -e "$SPOOL/incoming/$qid" ] && [ ! -e "$SPOOL/hold/$qid" ]; then
        echo "ok: $1: no queue file"
    else
        echo "FAILED: $1: queue file ${qid:-?} exists"
        failures=$((failures + 1))
    fi
}

# check_log NAME FIXED-STRING: maillog has a line containing it.
check_log() {
    checks=$((checks + 1))
    for _ in $(seq 30); do grep -Fq -- "$2" "$inst/maillog" && break; sleep 0.1; done
    if grep -Fq -- "$2" "$inst/maillog"; then
        echo "ok: $1"
    else
        echo "FAILED: $1: no log line containing: $2"
        tail -5 "$inst/maillog"
        failures=$((failures + 1))
    fi
}

# no_bad_logs: no fatal errors or sanitizer reports from cleanup.
no_bad_logs() {
    grep -E 'cleanup.*(panic|fatal)|runtime error|AddressSanitizer' "$inst/maillog" >"$tmp/bad.log"
    check_text "$1: no fatal errors or sanitizer reports" "" "$tmp/bad.log"
}
