# instance_lib.sh - private running instances for integration tests
# (sourced after lib.sh, not run).
#
# make_instance NAME builds a configuration under the scratch folder with its
# own queue, data and daemon directories; daemon_directory holds the master
# and tests/helpers/testd under the names a test's master.cf uses (echod,
# multid, triggerd, crashd, ... see testd.c). Instances run in non-root
# mode: as the invoking user, or as "nobody" through setpriv when the test
# runs as root, so that non-root mode is what is tested either way (the
# root-mode test sets RUN_AS_ROOT=1 before make_instance). Every instance
# that was started is stopped (and, failing that, killed) when the test
# exits. Every wait is a poll loop with a deadline.

POSTERN=$top_builddir/src/postern/postern
MASTER=$top_builddir/daemons/master/master
TESTD=$top_builddir/tests/helpers/testd
RUN_AS_ROOT=${RUN_AS_ROOT:-0}
instances=""

if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) is needed as root"; exit 77; }
    run_user=nobody
    run_group=$(id -gn nobody)
    # The build tree must be reachable for nobody (not under /root, say).
    setpriv --reuid=nobody --regid="$run_group" --clear-groups -- test -x "$POSTERN" || {
        echo "SKIP: nobody cannot run $POSTERN; build outside a private home directory"
        exit 77
    }
else
    run_user=$(id -un)
    run_group=$(id -gn)
fi

# Children inherit these through import_environment (see make_instance).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# as_owner CMD...: runs CMD as the instance's user (non-root mode).
as_owner() {
    if [ "$(id -u)" = 0 ] && [ "$RUN_AS_ROOT" = 0 ]; then
        setpriv --reuid="$run_user" --regid="$run_group" --clear-groups -- "$@"
    else
        "$@"
    fi
}

# free_port: a port nobody listens on, never the same twice in one test.
free_port() {
    local p _
    for _ in $(seq 100); do
        p=$("$TESTD" freeport)
        grep -qx "$p" "$tmp/.ports-given" 2>/dev/null || break
    done
    echo "$p" >>"$tmp/.ports-given"
    echo "$p"
}

# make_instance NAME [DAEMON_NAMES...]: prints the instance directory.
make_instance() {
    local dir=$tmp/$1 name owner group
    shift
    mkdir -p "$dir/etc" "$dir/libexec"
    chmod 755 "$tmp" "$dir"
    ln -s "$MASTER" "$dir/libexec/master"
    for name in "${@:-echod}"; do
        ln -s "$TESTD" "$dir/libexec/$name"
    done
    owner=$run_user
    group=$run_group
    if [ "$RUN_AS_ROOT" = 1 ]; then
        owner=nobody
        group=$ROOT_SETGID_GROUP
    fi
    cat >"$dir/etc/main.cf" <<EOF
# integration test instance $dir
queue_directory = $dir/spool
data_directory = $dir/data
daemon_directory = $dir/libexec
mail_owner = $owner
setgid_group = $group
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
myhostname = mx.example.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
service_throttle_time = 60s
import_environment = MAIL_CONFIG TZ LANG=C ASAN_OPTIONS UBSAN_OPTIONS
EOF
    : >"$dir/etc/master.cf"
    if [ "$RUN_AS_ROOT" = 0 ]; then
        chown -R "$run_user:$run_group" "$dir" 2>/dev/null || true
    fi
    instances="$instances $dir"
    echo "$dir"
}

# pst DIR ARGS...: postern -c DIR/etc ARGS; sets $status, output in
# $tmp/pst.out and $tmp/pst.err.
pst() {
    local dir=$1
    shift
    as_owner "$POSTERN" -c "$dir/etc" "$@" >"$tmp/pst.out" 2>"$tmp/pst.err"
    status=$?
}

# wait_for SECONDS CMD...: polls CMD every 0.05 s until it succeeds; 1 on timeout.
wait_for() {
    local deadline=$(($(date +%s%N) / 1000000 + $1 * 1000))
    shift
    until "$@"; do
        [ $(($(date +%s%N) / 1000000)) -gt "$deadline" ] && return 1
        sleep 0.05
    done
}

# check NAME CMD...: the command must succeed.
check() {
    local name=$1
    shift
    checks=$((checks + 1))
    if "$@"; then
        echo "ok: $name"
    else
        echo "FAILED: $name"
        failures=$((failures + 1))
    fi
}

master_pid() { cat "$1/spool/pid/master.pid" 2>/dev/null | tr -d ' '; }

# children DIR: pids of the master's children.
children() { ps -o pid= --ppid "$(master_pid "$1")" 2>/dev/null | tr -s ' \n' ' '; }

# count_children DIR COMMAND: how many children run COMMAND (argv[0]).
count_children() {
    ps -o args= --ppid "$(master_pid "$1")" 2>/dev/null | awk -v c="$2" '$1 == c' | wc -l
}

# gone PID...: every pid has exited (a zombie awaiting its adopter counts).
gone() {
    local pid st
    for pid in "$@"; do
        st=$(ps -o stat= -p "$pid" 2>/dev/null) || continue
        case $st in Z*) ;; *) return 1 ;; esac
    done
    return 0
}

# request PORT LINE: one line to a TCP service, prints the one-line reply.
request() {
    timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1 || exit 1
        printf "%s\n" "$2" >&3; IFS= read -r -t 5 reply <&3 && printf "%s\n" "$reply"' _ "$1" "$2" 2>/dev/null
}

# listening PORT: something accepts connections on 127.0.0.1:PORT.
listening() { timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1' _ "$1" 2>/dev/null; }
not_listening() { ! listening "$1"; }

# lines_at_least N REGEX FILE: FILE has at least N lines matching REGEX
# (for wait_for, which re-runs it).
lines_at_least() {
    local n
    n=$(grep -cE -- "$2" "$3" 2>/dev/null)
    [ "${n:-0}" -ge "$1" ]
}

# log_count DIR REGEX: matching lines in the instance's maillog.
log_count() {
    local n
    n=$(grep -cE -- "$2" "$1/maillog" 2>/dev/null)
    echo "${n:-0}"
}
log_has() { [ "$(log_count "$1" "$2")" -gt 0 ]; }

stop_instances() {
    local dir pid
    for dir in $instances; do
        pid=$(master_pid "$dir")
        [ -n "$pid" ] || continue
        as_owner "$POSTERN" -c "$dir/etc" stop >/dev/null 2>&1
        if as_owner "$POSTERN" -c "$dir/etc" status >/dev/null 2>&1; then
            kill -9 -- "-$pid" "$pid" 2>/dev/null
        fi
    done
}
trap 'stop_instances; [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
