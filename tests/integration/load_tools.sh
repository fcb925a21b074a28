#!/usr/bin/env bash
# load_tools.sh - smtp-blast against smtp-sink on 127.0.0.1 and a unix socket
# (issue 8): every message counted at both ends with and without PIPELINING,
# LMTP, injected 4xx counted by code, a sink delay visible in the latency
# percentiles, step timeouts, replaced sessions, storing with fsync, and the
# sink's count and time targets. Every wait is bounded.
. "$top_srcdir/tests/integration/lib.sh"

BLAST=$top_builddir/src/smtp-blast/smtp-blast
SINK=$top_builddir/src/smtp-sink/smtp-sink
sink_pid=
trap '[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# start_sink ARGS...: starts smtp-sink on a free 127.0.0.1 port; sets $port.
start_sink() {
    rm -f "$tmp/port"
    "$SINK" -w "$tmp/port" "$@" 127.0.0.1:0 >"$tmp/sink.out" 2>&1 &
    sink_pid=$!
    for _ in $(seq 100); do
        [ -s "$tmp/port" ] && break
        sleep 0.05
    done
    port=$(cat "$tmp/port" 2>/dev/null)
}

# stop_sink: SIGTERM, then waits at most 5 s for it to print its count.
stop_sink() {
    kill -TERM "$sink_pid" 2>/dev/null
    wait_sink
}

wait_sink() {
    for _ in $(seq 100); do
        kill -0 "$sink_pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$sink_pid" 2>/dev/null
    wait "$sink_pid"
    sink_status=$?
    sink_pid=
}

# blast ARGS...: runs smtp-blast (at most 30 s); output in $tmp/blast.out.
blast() {
    timeout 30 "$BLAST" "$@" >"$tmp/blast.out" 2>&1
    status=$?
}

# check_line NAME REGEX FILE: some line of FILE matches the extended regex.
check_line() {
    checks=$((checks + 1))
    if grep -Eq "$2" "$3"; then
        echo "ok: $1"
    else
        echo "FAILED: $1: no line matches /$2/ in:"
        cat "$3"
        failures=$((failures + 1))
    fi
}

# field NAME: the number after NAME on smtp-blast's latency line.
field() {
    awk -v k="$1" '$1 == "latency_ms" { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' \
        "$tmp/blast.out"
}

# --- 2,000 messages over 20 sessions, lockstep and pipelined ------------------
start_sink -o "$tmp/count"
blast -c 20 -m 2000 -l 2048 127.0.0.1:"$port"
check_status "lockstep run" 0 "$status"
check_line "lockstep: all 2000 ok" '^messages 2000 ok 2000 failed 0 sessions 20$' "$tmp/blast.out"
check_line "lockstep: no errors" '^errors none$' "$tmp/blast.out"
check_line "lockstep: a rate" '^elapsed [0-9.]+ s rate [1-9][0-9.]* msg/s$' "$tmp/blast.out"
blast -P -c 20 -m 2000 -r 2 -l 2048 -f 's%s@x.test' -t 'r%m.%r@y.test' 127.0.0.1:"$port"
check_status "pipelined run" 0 "$status"
check_line "pipelined: all 2000 ok" '^messages 2000 ok 2000 failed 0 sessions 20$' "$tmp/blast.out"
stop_sink
check_status "sink exits 0 on SIGTERM" 0 "$sink_status"
check_text "sink counted all 4000" "4000
" "$tmp/count"
check_line "sink counted 6000 recipients" '^messages 4000 recipients 6000 rejected 0 ' "$tmp/sink.out"

# --- LMTP over a unix socket; the sink stops at its target count --------------
"$SINK" -L -c 300 -o "$tmp/lcount" unix:"$tmp/lmtp.sock" >"$tmp/sink.out" 2>&1 &
sink_pid=$!
for _ in $(seq 100); do
    [ -S "$tmp/lmtp.sock" ] && break
    sleep 0.05
done
blast -L -P -c 5 -m 300 -r 3 -n 7 unix:"$tmp/lmtp.sock"
check_status "lmtp run" 0 "$status"
check_line "lmtp: all 300 ok, sessions of 7 messages" '^messages 300 ok 300 failed 0 sessions 4[3-9]' \
    "$tmp/blast.out"
wait_sink
check_status "sink stops by itself at -c 300" 0 "$sink_status"
check_text "lmtp count file" "300
" "$tmp/lcount"
check_line "lmtp: 900 recipients" '^messages 300 recipients 900 ' "$tmp/sink.out"

# --- injected 450 at RCPT for 10% ----------------------------------------------
start_sink -e rcpt:450:0.1
blast -P -c 20 -m 2000 127.0.0.1:"$port"
check_status "failures make smtp-blast exit 1" 1 "$status"
check_line "450 counted: 1800 ok, 200 failed" '^messages 2000 ok 1800 failed 200 ' "$tmp/blast.out"
check_line "errors by code" '^errors 450=200$' "$tmp/blast.out"
blast -a -c 20 -m 2000 127.0.0.1:"$port"
check_status "-a allows failures" 0 "$status"
check_line "lockstep 450 counted too" '^errors 450=200$' "$tmp/blast.out"
stop_sink

# --- LMTP: a pipelined RCPT fails, the accepted ones still get one reply each -
"$SINK" -L -e rcpt:450:0.05 unix:"$tmp/lmtp2.sock" >"$tmp/sink.out" 2>&1 &
sink_pid=$!
for _ in $(seq 100); do
    [ -S "$tmp/lmtp2.sock" ] && break
    sleep 0.05
done
blast -L -P -c 3 -m 30 -r 5 unix:"$tmp/lmtp2.sock"
check_line "lmtp partial failure: all 30 settled" '^messages 30 ok [0-9]+ failed [1-9][0-9]* ' \
    "$tmp/blast.out"
check_line "lmtp partial failure: only the 450s, no timeout" '^errors 450=[0-9]+$' "$tmp/blast.out"
stop_sink

# --- a refused greeting costs its message; the session is replaced -----------
start_sink -e greeting:421:0.5 -R '*@reject.test:550'
blast -a -c 4 -m 100 -n 1 127.0.0.1:"$port"
check_line "421 greeting on every second session" '^messages 100 ok 50 failed 50 sessions 100$' \
    "$tmp/blast.out"
check_line "421 by code" '^errors 421=50$' "$tmp/blast.out"
blast -c 2 -m 10 -r 2 -t 'u%r@reject.test' 127.0.0.1:"$port"
check_line "recipient pattern rejected" '^errors (421=[0-9]+ )?550=[0-9]+$' "$tmp/blast.out"
check_line "... every message" '^messages 10 ok 0 failed 10 ' "$tmp/blast.out"
stop_sink

# --- a delay at the end of data shows in the latency --------------------------
start_sink -D dot:100
blast -P -c 5 -m 25 127.0.0.1:"$port"
check_status "delayed run" 0 "$status"
p50=$(field p50)
p99=$(field p99)
checks=$((checks + 1))
if awk -v a="$p50" -v b="$p99" 'BEGIN { exit !(a >= 100 && a < 1000 && b >= a) }'; then
    echo "ok: delay in latency (p50 $p50 ms, p99 $p99 ms)"
else
    echo "FAILED: delay of 100 ms not in latency: p50 '$p50' p99 '$p99'"
    failures=$((failures + 1))
fi
stop_sink

# --- a silent server: each step has a timeout ---------------------------------
start_sink -D greeting:10000
start=$(date +%s)
blast -T 1 -c 2 -m 3 127.0.0.1:"$port"
check_status "timeouts fail the run" 1 "$status"
check_line "timeouts counted" '^errors timeout=3$' "$tmp/blast.out"
checks=$((checks + 1))
if [ $(($(date +%s) - start)) -le 5 ]; then
    echo "ok: timeouts bounded"
else
    echo "FAILED: 3 timeouts of 1 s took $(($(date +%s) - start)) s"
    failures=$((failures + 1))
fi
stop_sink

# --- nothing listening ---------------------------------------------------------
blast -T 2 -c 1 -m 2 127.0.0.1:"$port"
check_line "refused connections counted" '^errors connect=2$' "$tmp/blast.out"

# --- storing with fsync, and the sink's time limit ----------------------------
mkdir "$tmp/store"
start_sink -d "$tmp/store" -F -t 2 -o "$tmp/scount"
blast -P -c 3 -m 20 -l 5000 127.0.0.1:"$port"
check_status "stored run" 0 "$status"
checks=$((checks + 1))
n=$(find "$tmp/store" -name '*.eml' -size +4k | wc -l)
if [ "$n" -eq 20 ] && grep -q '^Subject: smtp-blast message ' "$tmp/store"/*.eml; then
    echo "ok: 20 messages stored"
else
    echo "FAILED: $n of 20 messages stored"
    failures=$((failures + 1))
fi
wait_sink
check_status "sink stops after -t 2" 0 "$sink_status"
check_text "time-limited count" "20
" "$tmp/scount"

finish
