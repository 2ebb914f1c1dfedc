#!/bin/sh
# `lockstep selftest` on the simulated turntable rig: every check's line is there with a verdict,
# the exit status is that of the worst line, a line another lockstep holds is shown held, only a
# spare line is toggled (and only when asked), and bad input is exit 2 with nothing driven.
#   selftest-tests.sh      with LOCKSTEP and SOURCE_DIR in the environment
set -eu
: "${LOCKSTEP:?}" "${SOURCE_DIR:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-selftest.XXXXXX")
move_pid=
cleanup() {
    [ -z "$move_pid" ] || kill "$move_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }
cp "$SOURCE_DIR/conf/rig-turntable-sim.yaml" "$work/rig.yaml"

selftest() { # OUTPUT ARGS...: sets rc
    out=$1
    shift
    rc=0
    "$LOCKSTEP" selftest --rig "$work/rig.yaml" --wakeup-seconds 0.5 "$@" >"$out" 2>"$out.err" || rc=$?
    cat "$out" "$out.err"
}
# The exit status the lines call for: 1 with a FAIL, 3 with a WARN, else 0.
expected_status() {
    if grep -q '^FAIL ' "$1"; then echo 1; elif grep -q '^WARN ' "$1"; then echo 3; else echo 0; fi
}
has() { # OUTPUT REGEX WHAT
    grep -Eq "$2" "$1" || fail "$3: no line matching '$2'"
}

# ---- pi01: the turntable's four lines and a camera
selftest "$work/pi01.txt" --node pi01
for line in "17 \(turntable STEP\)" "27 \(turntable DIR\)" "22 \(turntable ENABLE\)" "23 \(turntable endstop\)"; do
    has "$work/pi01.txt" "^PASS  gpio +line $line: free$" "pi01 line $line"
done
has "$work/pi01.txt" "^(PASS|WARN)  timing +[0-9]+ wake-ups .*median [0-9.]+ us, p99 [0-9.]+ us, max [0-9.]+ us" "wake-ups"
has "$work/pi01.txt" "^SKIP  timing +GPIO set cost and executor lateness: nothing toggled" "no toggling unasked"
has "$work/pi01.txt" "^(PASS|WARN)  realtime +(PREEMPT_RT kernel|not a PREEMPT_RT kernel)" "kernel"
has "$work/pi01.txt" "^(PASS|WARN|SKIP)  realtime +sched_rt_runtime_us" "sched_rt_runtime_us"
has "$work/pi01.txt" "^(PASS|WARN)  realtime +(isolated cpus|no isolated cpu)" "isolcpus"
has "$work/pi01.txt" "^(PASS|WARN|SKIP)  realtime +cpufreq governor" "governor"
has "$work/pi01.txt" "^(PASS|FAIL)  realtime +RLIMIT_RTPRIO" "RTPRIO"
has "$work/pi01.txt" "^(PASS|FAIL)  realtime +RLIMIT_MEMLOCK" "MEMLOCK"
has "$work/pi01.txt" "^PASS  camera cam +simulated sensor" "camera model"
has "$work/pi01.txt" "^PASS  camera cam +configured 640x480: frame duration [0-9.]+ ms to [0-9.]+ ms, readout" "camera mode"
has "$work/pi01.txt" "^(PASS|WARN)  camera cam +30 frames on a [0-9.]+ ms grid: period median [0-9.]+ ms .*control latency" "test capture"
has "$work/pi01.txt" "^(PASS|WARN|SKIP)  board +CMA" "CMA"
has "$work/pi01.txt" "^(PASS|WARN|FAIL|SKIP)  board +(under-voltage/throttling: unknown|throttled=0x)" "throttling"
has "$work/pi01.txt" "^(PASS|FAIL)  clock +(time daemon|no time daemon)" "time daemon"
has "$work/pi01.txt" "^(PASS|FAIL)  clock +kernel clock (synchronised|unsynchronised)" "kernel clock"
has "$work/pi01.txt" "^selftest: [0-9]+ PASS, [0-9]+ WARN, [0-9]+ FAIL, [0-9]+ SKIP$" "summary"
[ "$rc" -eq "$(expected_status "$work/pi01.txt")" ] ||
    fail "exit status $rc, the worst line calls for $(expected_status "$work/pi01.txt")"
pass "pi01: every check reported, exit status $rc by the worst line"
[ ! -e "$work/sim-state/gpio/pi01.lines" ] || fail "selftest without --toggle made the line state (it requested lines)"
pass "nothing requested or driven without --toggle"

# ---- pi02: no motors
selftest "$work/pi02.txt" --node pi02
has "$work/pi02.txt" "^SKIP  gpio +no motors on this node" "pi02 gpio"
[ "$rc" -eq "$(expected_status "$work/pi02.txt")" ] || fail "pi02: exit status $rc"
pass "pi02: a node without motors skips the GPIO checks, says why"

# ---- a line held by another lockstep: shown held, by that process
"$LOCKSTEP" move turntable=700 --rig "$work/rig.yaml" --node pi01 >"$work/move.txt" 2>&1 &
move_pid=$!
i=0
while ! grep -q '^moving:' "$work/move.txt" && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
selftest "$work/held.txt" --node pi01
kill -INT "$move_pid"
wait "$move_pid" || true
move_pid=
has "$work/held.txt" "^PASS  gpio +line 17 \(turntable STEP\): held by lockstep pid [0-9]+ \(a lockstep job\)$" "held line"
pass "a line another lockstep process holds is shown held, with its pid"

# ---- --toggle on a spare line
selftest "$work/toggle.txt" --node pi01 --toggle 5
has "$work/toggle.txt" "^(PASS|WARN)  timing +one GPIO set on line 5: median [0-9.]+ us, p99 [0-9.]+ us, max" "GPIO set cost"
# The verdict is this machine's (a loaded VM may stop the move: FAIL, saying why); the figures
# must be there, and a move that was not stopped emitted every edge of its steps.
has "$work/toggle.txt" "^(PASS|WARN|FAIL)  timing +executor on line 5 \(800 steps, up to 800 steps/s\): [0-9]+ edges, lateness p99 [0-9.]+ us, max [0-9.]+ us \(abort bound 100000.0 us\)" "executor lateness"
if grep -Eq '^FAIL  timing +executor' "$work/toggle.txt"; then
    has "$work/toggle.txt" "^FAIL  timing +executor on line 5 .*: stopped: " "why the move stopped"
else
    edges=$(sed -n 's/.*executor on line 5 ([0-9]* steps, [^)]*): \([0-9]*\) edges.*/\1/p' "$work/toggle.txt")
    [ "$edges" -eq 1600 ] || fail "the executor emitted $edges edges, expected 1600 (800 steps)"
fi
pass "--toggle 5: GPIO set cost and executor lateness measured on the spare line"

# ---- bad input: exit 2, nothing driven
selftest "$work/used.txt" --node pi01 --toggle 22
[ "$rc" -eq 2 ] || fail "--toggle on ENABLE: exit status $rc, expected 2"
grep -q "toggle 22: the line is the node's turntable ENABLE; selftest toggles only a spare line" "$work/used.txt.err" ||
    fail "--toggle on ENABLE: no clear message"
[ ! -s "$work/used.txt" ] || fail "--toggle on ENABLE: checks ran before the bad input was refused"
pass "--toggle on a rig line is refused (exit 2)"
selftest "$work/range.txt" --node pi01 --toggle 64
[ "$rc" -eq 2 ] || fail "--toggle 64: exit status $rc, expected 2"
selftest "$work/node.txt" --node pi09
[ "$rc" -eq 2 ] || fail "unknown node: exit status $rc, expected 2"
printf 'rig: x\nnodes:\n  - host: pi01\n    colour: blue\n' >"$work/bad.yaml"
rc=0
"$LOCKSTEP" selftest --rig "$work/bad.yaml" --node pi01 >"$work/bad.txt" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "a bad rig: exit status $rc, expected 2"
grep -q "bad.yaml:4:5" "$work/bad.txt" || { cat "$work/bad.txt"; fail "a bad rig: no FILE:LINE:COL"; }
pass "bad input (used line, out of range, unknown node, bad rig) is exit 2"
