# queue_tools_lib.sh - a private instance for the queue tool tests
# (postqueue, mailq, postsuper, postcat, showq), sourced after lib.sh.
# Its queue is built with tests/helpers/queue-fill (queue files written
# directly, defer logs with reasons), so every listing is deterministic:
# arrival time 1795322543 (Sun Nov 22 04:42:23 2026 UTC, TZ=UTC).
# master.cf has showq, qmgr, cleanup, pickup and the discard agent (only
# showq with QT_SHOWQ_ONLY=1, so that the queue stays as built); the
# instance is started only when a test calls qt_start.

POSTERN=$top_builddir/src/postern/postern
POSTQUEUE=$top_builddir/src/postqueue/postqueue
POSTSUPER=$top_builddir/src/postsuper/postsuper
POSTCAT=$top_builddir/src/postcat/postcat
FILL=$top_builddir/tests/helpers/queue-fill
export TZ=UTC
ARRIVAL=1795322543

# qt_instance NAME [main.cf lines...]: sets $inst and $SPOOL; not started.
qt_instance() {
    inst=$(instance "$1")
    shift
    chmod 755 "$tmp"
    mkdir -p "$inst/libexec"
    for d in master/master cleanup/cleanup qmgr/qmgr discard/discard pickup/pickup showq/showq; do
        ln -s "$top_builddir/daemons/$d" "$inst/libexec/${d#*/}"
    done
    {
        echo "compatibility_level = 3.6"
        echo "queue_directory = $inst/spool"
        echo "data_directory = $inst/data"
        echo "daemon_directory = $inst/libexec"
        echo "command_directory = $top_builddir/src/postqueue"
        echo "maillog_file = $inst/maillog"
        echo "maillog_file_prefixes = $tmp"
        echo "myhostname = mx.example.test"
        echo "mydomain = example.test"
        echo "inet_interfaces = 127.0.0.1"
        echo "import_environment = MAIL_CONFIG TZ LANG=C ASAN_OPTIONS UBSAN_OPTIONS"
        echo "transport_maps = inline:{ discard.test=discard: }"
        if [ "$(id -u)" != 0 ]; then
            echo "mail_owner = $(id -un)"
            echo "setgid_group = $(id -gn)"
        fi
        for line in "$@"; do echo "$line"; done
    } >"$inst/main.cf"
    {
        echo "showq     unix  n       -       n       -       -       showq"
        if [ "${QT_SHOWQ_ONLY:-0}" = 0 ]; then
            echo "cleanup   unix  n       -       n       -       0       cleanup"
            echo "qmgr      unix  n       -       n       300     1       qmgr"
            echo "pickup    unix  n       -       n       60      1       pickup"
            echo "discard   unix  -       -       n       -       -       discard"
        fi
    } >"$inst/master.cf"
    SPOOL=$inst/spool
    # The queue directories, as "postern check" creates them.
    "$POSTERN" -c "$inst" check >"$tmp/check.out" 2>&1 || true
    for d in maildrop incoming active deferred hold corrupt bounce defer trace private public pid; do
        [ -d "$SPOOL/$d" ] || mkdir -p "$SPOOL/$d"
    done
}

qt_start() {
    "$POSTERN" -c "$inst" start >"$tmp/start.out" 2>&1
    check_status "postern start" 0 $?
    for _ in $(seq 100); do
        [ -S "$SPOOL/public/showq" ] && { [ "${QT_SHOWQ_ONLY:-0}" = 1 ] || [ -S "$SPOOL/public/qmgr" ]; } && break
        sleep 0.1
    done
}

qt_stop() { "$POSTERN" -c "$inst" stop >/dev/null 2>&1; }

# as_queue_owner CMD...: runs CMD as the owner of the queue (mail_owner in
# root mode), so that the daemons can read what it writes.
as_queue_owner() {
    local owner
    if [ "$(id -u)" = 0 ]; then
        owner=$(stat -c %U "$SPOOL/incoming")
        setpriv --reuid="$owner" --regid="$(id -g "$owner")" --clear-groups -- "$@"
    else
        "$@"
    fi
}

# fill QUEUE NAME ARGS...: one message via queue-fill; its ID in $tmp/id.NAME.
fill() {
    local queue=$1 name=$2 id
    shift 2
    id=$(as_queue_owner "$FILL" -c "$inst" -q "$queue" -T "$ARRIVAL" "$@") || return 1
    echo "$id" >"$tmp/id.$name"
}

# The five messages of queue-listing.txt: A active, H hold, D1-D3 deferred.
fill_reference_queue() {
    local refused="connect to 127.0.0.1[127.0.0.1]:12071: Connection refused"
    local s451="host 127.0.0.1[127.0.0.1] said: 451 4.3.0 Temporary failure, try again later (in reply to RCPT TO command)"
    fill active A -f sender@client.example.test -r a1@tarpit.example.test -r a2@tarpit.example.test
    fill hold H -f holdme@client.example.test -r alice@mx.example.test -r bob@mx.example.test
    fill deferred D1 -f sender@client.example.test -r r1@refused.example.test \
        -r r2@refused.example.test -r s1@sink451.example.test -r s2@sink451.example.test \
        -R "$refused" -R "$refused" -R "$s451"
    fill deferred D2 -f "" -r d1@deferred.example.test -r d2@deferred.example.test \
        -R "deferred transport"
    fill deferred D3 -f a.rather.long.sender.address.for.the.layout.check@client.example.test \
        -r x@refused.example.test -R "$refused"
}

# normalize_listing FILE: queue IDs and sizes masked, entries sorted (the
# order within one queue is directory order for Postfix, ID order here;
# the message bodies, hence the sizes, differ from the reference's).
normalize_listing() {
    python3 -c '
import re, sys
text = sys.stdin.read()
text = re.sub(r"^([0-9A-Za-z]{6,})([*!#]?) +[0-9]+ ", r"@ID@\2 @SIZE@ ", text, flags=re.M)
text = re.sub(r"^-- [0-9]+ Kbytes", "-- @N@ Kbytes", text, flags=re.M)
text = re.sub(r"\"queue_id\": \"[^\"]*\"", "\"queue_id\": \"@ID@\"", text)
text = re.sub(r"\"message_size\": [0-9]+", "\"message_size\": @SIZE@", text)
if text.startswith("{"):
    print("\n".join(sorted(text.strip().split("\n"))))
else:
    blocks = text.split("\n\n")
    head = [b for b in blocks if b.startswith("@ID@")]
    rest = [b for b in blocks if not b.startswith("@ID@")]
    print("\n\n".join(sorted(head) + rest))
' <"$1"
}

QT_FIXTURES=$FIXTURES/queue_tools

# queue_files QUEUE: files in a queue; find_file QUEUE ID: a file's path.
queue_files() { find "$SPOOL/$1" -type f 2>/dev/null | wc -l; }
find_file() { find "$SPOOL/$1" -type f -name "$2" 2>/dev/null | head -1; }

# check_log NAME REGEX: the maillog has (within 10 s) a matching line.
check_log() {
    local i
    checks=$((checks + 1))
    for i in $(seq 100); do
        grep -Eq -- "$2" "$inst/maillog" 2>/dev/null && { echo "ok: $1"; return; }
        sleep 0.1
    done
    echo "FAILED: $1: no log line matching $2"
    tail -5 "$inst/maillog"
    failures=$((failures + 1))
}
