# qmgr_lib.sh - a private instance with master, cleanup, qmgr and the
# error/retry/discard agents, for the qmgr integration tests (sourced after
# lib.sh). transport_maps send the test domains to those agents, so these
# tests depend on no other delivery agent:
#   @discard.test -> discard     @error.test -> error:5.1.1 ...
#   @retry.test   -> retry:4.4.1 ...   @noagent.test -> nosuch (no socket)
#   @crash.test   -> crashagent (tests/helpers/fake-bounce: dies mid-request)
# Messages are submitted through cleanup with tests/helpers/cleanup-submit.

POSTERN=$top_builddir/src/postern/postern
SUBMIT=$top_builddir/tests/helpers/cleanup-submit

# qmgr_instance NAME [main.cf lines...]: creates and starts the instance;
# sets $inst, $SOCK, $SPOOL.
qmgr_instance() {
    inst=$(instance "$1")
    shift
    chmod 755 "$tmp"
    mkdir -p "$inst/libexec"
    for d in master/master cleanup/cleanup qmgr/qmgr error/error discard/discard; do
        ln -s "$top_builddir/daemons/$d" "$inst/libexec/${d#*/}"
    done
    # The bounce daemon, when a test wants one: the stand-in helper.
    ln -s "$top_builddir/tests/helpers/fake-bounce" "$inst/libexec/bounce"
    ln -s "$top_builddir/tests/helpers/fake-bounce" "$inst/libexec/crashagent"
    {
        echo "compatibility_level = 3.6"
        echo "queue_directory = $inst/spool"
        echo "data_directory = $inst/data"
        echo "daemon_directory = $inst/libexec"
        echo "maillog_file = $inst/maillog"
        echo "maillog_file_prefixes = $tmp"
        echo "myhostname = mx.example.test"
        echo "mydomain = example.test"
        echo "inet_interfaces = 127.0.0.1"
        echo "transport_maps = inline:{ discard.test=discard:, { error.test=error:5.1.1 no such user here }, { retry.test=retry:4.4.1 try again later }, noagent.test=nosuch:, crash.test=crashagent: }"
        if [ "$(id -u)" != 0 ]; then
            echo "mail_owner = $(id -un)"
            echo "setgid_group = $(id -gn)"
        fi
        for line in "$@"; do echo "$line"; done
    } >"$inst/main.cf"
    cat >"$inst/master.cf" <<EOF
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
crashagent unix -       -       n       -       -       crashagent
EOF
    # Extra master.cf lines a test asks for (more services of these agents).
    [ -n "${QMGR_MASTER_EXTRA:-}" ] && printf '%s\n' "$QMGR_MASTER_EXTRA" >>"$inst/master.cf"
    if [ -n "${QMGR_WITH_BOUNCE:-}" ]; then
        echo "bounce    unix  -       -       n       -       0       bounce" >>"$inst/master.cf"
    fi
    SOCK=$inst/spool/public/cleanup
    SPOOL=$inst/spool
    "$POSTERN" -c "$inst" start >"$tmp/start.out" 2>&1
    check_status "postern start" 0 $?
    for _ in $(seq 100); do [ -S "$SOCK" ] && [ -S "$SPOOL/public/qmgr" ] && break; sleep 0.1; done
}

# send NAME SENDER RCPT...: submits one small message; sets $qid.
send() {
    local name=$1 sender=$2 args=() r
    shift 2
    for r in "$@"; do args+=(-r "$r"); done
    printf 'From: <%s>\nSubject: %s\n\nbody of %s\n' "$sender" "$name" "$name" |
        "$SUBMIT" -f "$sender" -a rewrite_context=local "${args[@]}" "$SOCK" \
            >"$tmp/$name.out" 2>"$tmp/$name.err"
    qid=$(sed -n 's/^queue_id: //p' "$tmp/$name.out")
}

# wait_log SECONDS REGEX: waits for a maillog line; 0 when it came.
wait_log() {
    local i
    for i in $(seq $(($1 * 10))); do
        grep -Eq -- "$2" "$inst/maillog" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# check_log NAME REGEX: the maillog has (within 10 s) a matching line.
check_log() {
    checks=$((checks + 1))
    if wait_log 10 "$2"; then
        echo "ok: $1"
    else
        echo "FAILED: $1: no log line matching $2"
        tail -20 "$inst/maillog"
        failures=$((failures + 1))
    fi
}

# check_no_log NAME REGEX: no matching line.
check_no_log() {
    checks=$((checks + 1))
    if grep -Eq -- "$2" "$inst/maillog" 2>/dev/null; then
        echo "FAILED: $1: unexpected log line matching $2"
        grep -E -- "$2" "$inst/maillog" | head -5
        failures=$((failures + 1))
    else
        echo "ok: $1"
    fi
}

# queue_files QUEUE: how many files the queue holds (hash levels included).
queue_files() { find "$SPOOL/$1" -type f 2>/dev/null | wc -l; }

# find_file QUEUE ID: prints the file's path (hashed or not), or nothing.
find_file() { find "$SPOOL/$1" -type f -name "$2" 2>/dev/null | head -1; }
