#!/bin/sh
# End-to-end tests of `lockstep` on the simulated 4-camera turntable rig: four processes, one per
# simulated Pi, under Open MPI's mpirun as the PMIx server. Each test runs in its own directory.
#   scan-tests.sh TEST      with LOCKSTEP, SIM_LINE, SOURCE_DIR in the environment
set -eu
test_name=$1
: "${LOCKSTEP:?}" "${SIM_LINE:?}" "${SOURCE_DIR:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-$test_name.XXXXXX")
cleanup() {
    if [ -n "${mounted:-}" ]; then umount "$mounted" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }
# Changes a copy of the finished scan in $work/out and expects verify to fail, naming the
# change: tamper NAME EXPECTED-PATTERN PYTHON. The Python sees s (the scan folder), lines
# (manifest lines as dicts, written back afterwards), frames and positions (their frame and
# position lines), rehash(f) (a frame line's size and checksum made to match its file) and
# entries(b, at) (a little-endian TIFF IFD at offset at: tag -> offset of its entry).
tamper() {
    rm -rf "$work/copy" && cp -a "$work/out" "$work/copy"
    python3 - "$work/copy/t" <<PY
import json, sys, os, hashlib, struct
s = sys.argv[1]
lines = [json.loads(l) for l in open(s + "/manifest.jsonl")]
frames = [l for l in lines if l["type"] == "frame"]
positions = [l for l in lines if l["type"] == "position"]
def rehash(f):
    data = open(s + "/" + f["file"], "rb").read()
    f["bytes"], f["sha256"] = len(data), hashlib.sha256(data).hexdigest()
def entries(b, at):
    return {struct.unpack_from("<H", b, at + 2 + 12 * i)[0]: at + 2 + 12 * i
            for i in range(struct.unpack_from("<H", b, at)[0])}
$3
with open(s + "/manifest.jsonl", "w") as out:
    for l in lines:
        out.write(json.dumps(l, sort_keys=True, separators=(",", ":")) + "\n")
PY
    if "$LOCKSTEP" verify "$work/copy" >"$work/verify.txt" 2>&1; then
        cat "$work/verify.txt"; fail "$1: verify passed"
    fi
    grep -q "$2" "$work/verify.txt" || { cat "$work/verify.txt"; fail "$1: no '$2' in verify's output"; }
    pass "$1: $(grep -m1 "$2" "$work/verify.txt" | sed 's/.*FAIL: //')"
}

cp "$SOURCE_DIR/conf/rig-turntable-sim.yaml" "$work/rig.yaml"

# Every test but move and validate runs its scan under mpirun, the PMIx server on one machine.
case $test_name in
move | validate) ;;
*) command -v mpirun >/dev/null || { echo "SKIP: mpirun not found (Debian: openmpi-bin)"; exit 77; } ;;
esac

# A plan of N positions around the turntable, small frames, short settle. max_skew_us is the
# product's default (5000: no line) unless MAX_SKEW_US is set; scan and verify hold every frame
# of every position to it, not a median.
write_plan() { # COUNT [EXTRA YAML]
    cat >"$work/plan.yaml" <<PLAN
scan: t
rig: rig.yaml
positions: { sweep: { motor: turntable, from: 0, to: $(( ($1 - 1) * 30 )), count: $1 } }
settle_ms: ${SETTLE_MS:-50}
capture: { exposure_us: 4000, width: 320, height: 240, format: jpeg, quality: 90 }
capture_margin_ms: ${MARGIN_MS:-40}
${MAX_SKEW_US:+max_skew_us: $MAX_SKEW_US}
${2:-}
PLAN
}

scan() { # ARGS...
    "$SOURCE_DIR/scripts/mpirun-sim.sh" 4 "$LOCKSTEP" scan "$work/plan.yaml" --node-by-rank "$@"
}

count_frames() { find "$1" -name '*.jpg' -path '*pos-*' | wc -l; }

# Waits up to 10 s for a line matching PATTERN in FILE (written by a command in the background).
wait_for_line() { # FILE PATTERN
    i=0
    while ! grep -q "$2" "$1" 2>/dev/null && [ "$i" -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}

# Starts `lockstep COMMAND ARGS` (move or home) on pi01 in the background, waits for PATTERN in
# its output, reads ENABLE (level_before), sends SIGNAL and waits; sets move_rc and level_after.
interrupt_command() { # SIGNAL PATTERN OUTPUT COMMAND ARGS...
    signal=$1 pattern=$2 output=$3
    shift 3
    "$LOCKSTEP" "$@" --rig "$work/rig.yaml" --node pi01 >"$output" 2>&1 &
    move_pid=$!
    wait_for_line "$output" "$pattern"
    level_before=$("$SIM_LINE" "$work/rig.yaml" pi01 turntable)
    kill -"$signal" "$move_pid"
    move_rc=0
    wait "$move_pid" || move_rc=$?
    cat "$output"
    level_after=$("$SIM_LINE" "$work/rig.yaml" pi01 turntable)
}
interrupt_move() { # SIGNAL PATTERN OUTPUT ARGS...
    signal=$1 pattern=$2 output=$3
    shift 3
    interrupt_command "$signal" "$pattern" "$output" move "$@"
}

case $test_name in
e2e)
    write_plan 6
    scan --out "$work/out" || fail "scan exited $?"
    [ "$(count_frames "$work/out/t")" -eq 24 ] || fail "expected 24 frames, found $(count_frames "$work/out/t")"
    pass "24 frames written"
    "$LOCKSTEP" verify "$work/out" >"$work/verify.txt" || { cat "$work/verify.txt"; fail "verify"; }
    cat "$work/verify.txt"
    grep -q "24 frames checked, 24 angles read from pixels" "$work/verify.txt" || fail "verify did not read every angle"
    pass "verify: complete, checksums match, angles read from pixels match the commanded ones"
    python3 - "$work/out/t/scan.json" "$work/plan.yaml" "$work/rig.yaml" <<'PY' || fail "scan.json"
import json, sys
scan = json.load(open(sys.argv[1]))
assert scan["plan_text"] == open(sys.argv[2]).read(), "plan_text is not the plan"
assert scan["rig_text"] == open(sys.argv[3]).read(), "rig_text is not the rig"
versions = scan["versions"]
for key in ("lockstep", "libcamera", "pmix", "slurm", "coordination"):
    assert versions.get(key), "no version of " + key
assert scan["ranks"] == ["pi01", "pi02", "pi03", "pi04"], scan["ranks"]
print("scan.json:", versions)
PY
    pass "scan.json holds the plan, the rig and the versions"
    "$LOCKSTEP" report "$work/out" || fail "report"
    for f in index.html contact-sheet.jpg contact-sheet.svg skew.svg timing.svg; do
        [ -s "$work/out/t/report/$f" ] || fail "report/$f missing"
    done
    # The contact sheet names every position with its target and every camera.
    positions=$(grep -c '<text class="position"' "$work/out/t/report/contact-sheet.svg")
    [ "$positions" -eq 6 ] || fail "contact sheet: $positions row labels for 6 positions"
    grep -q '<text class="position"[^>]*>1: turntable ' "$work/out/t/report/contact-sheet.svg" ||
        fail "contact sheet: no label for position 1"
    for cam in pi01/cam pi02/cam pi03/cam pi04/cam; do
        grep -q "<text class=\"camera\"[^>]*>$cam</text>" "$work/out/t/report/contact-sheet.svg" ||
            fail "contact sheet: no column for $cam"
    done
    pass "report written, contact sheet labelled"
    # Running again into the same folder must refuse, not overwrite: bad input, exit 2.
    rc=0
    scan --out "$work/out" 2>"$work/again.txt" || rc=$?
    [ "$rc" -eq 2 ] || { cat "$work/again.txt"; fail "a second scan into the folder: exit status $rc, expected 2"; }
    grep -q "already holds a scan" "$work/again.txt" || { cat "$work/again.txt"; fail "no clear message"; }
    pass "refuses to overwrite an existing scan (exit 2)"
    # --resume of a folder without a scan: bad input, exit 2, nothing created.
    rc=0
    scan --out "$work/none" --resume 2>"$work/none.txt" || rc=$?
    [ "$rc" -eq 2 ] || { cat "$work/none.txt"; fail "--resume without a scan: exit status $rc, expected 2"; }
    grep -q "has no manifest.jsonl: nothing to resume" "$work/none.txt" || { cat "$work/none.txt"; fail "no clear message"; }
    [ ! -e "$work/none/t/manifest.jsonl" ] || fail "--resume without a scan created a manifest"
    pass "--resume without a scan refused (exit 2)"

    # verify must catch what can go wrong after the fact.
    cp -r "$work/out/t" "$work/bad"
    printf 'x' >>"$work/bad/pos-0003/pi02-cam.jpg"
    if "$LOCKSTEP" verify "$work/bad" >"$work/v.txt"; then fail "a changed frame verified"; fi
    grep -q "pos-0003/pi02-cam.jpg: .* bytes, manifest says" "$work/v.txt" || { cat "$work/v.txt"; fail "changed frame not named"; }
    pass "verify: a changed frame is caught"
    rm -r "$work/bad" && cp -r "$work/out/t" "$work/bad"
    rm "$work/bad/pos-0001/pi04-cam.jpg"
    touch "$work/bad/pos-0001/.pi04-cam.jpg.tmp.x"
    if "$LOCKSTEP" verify "$work/bad" >"$work/v.txt"; then fail "a missing frame verified"; fi
    grep -q "pos-0001/pi04-cam.jpg: missing" "$work/v.txt" || { cat "$work/v.txt"; fail "missing frame not named"; }
    grep -q "pos-0001/.pi04-cam.jpg.tmp.x: not part of the scan" "$work/v.txt" || fail "stray file not named"
    pass "verify: a missing frame and a stray temporary file are caught"
    # A frame of another position, with a manifest entry that matches it: only its pixels tell.
    rm -r "$work/bad" && cp -r "$work/out/t" "$work/bad"
    cp "$work/bad/pos-0004/pi01-cam.jpg" "$work/bad/pos-0002/pi01-cam.jpg"
    python3 - "$work/bad" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
path = os.path.join(root, "manifest.jsonl")
lines = [json.loads(l) for l in open(path)]
for l in lines:
    if l.get("file") == "pos-0002/pi01-cam.jpg":
        data = open(os.path.join(root, l["file"]), "rb").read()
        l["bytes"], l["sha256"] = len(data), hashlib.sha256(data).hexdigest()
open(path, "w").write("".join(json.dumps(l) + "\n" for l in lines))
PY
    if "$LOCKSTEP" verify "$work/bad" >"$work/v.txt"; then fail "a frame of the wrong position verified"; fi
    grep -Eq "pos-0002/pi01-cam.jpg \(top rows\): shows turntable at (119\.9|120\.0)" "$work/v.txt" || { cat "$work/v.txt"; fail "wrong angle not named"; }
    pass "verify: a frame showing the wrong angle is caught from its pixels"
    ;;
frames)
    # Several frames per position at a size whose hand-over (rendering, like a Pi copying a
    # 12 MP frame) takes longer than the default gap: every frame must still start together.
    # Four ranks rendering 3 MP frames and eight writers encoding them share two cores: the
    # capture instant may reach a rank 100 ms late, after its frame went back to the sensor.
    MARGIN_MS=300 write_plan 3 'frames_per_position: 3
output: { pattern: "pos-{position}/{node}-{camera}-{frame}" }'
    sed -i 's/width: 320, height: 240/width: 2028, height: 1520/' "$work/plan.yaml"
    scan --out "$work/out" || fail "scan exited $?"
    [ "$(count_frames "$work/out/t")" -eq 36 ] || fail "expected 36 frames, found $(count_frames "$work/out/t")"
    "$LOCKSTEP" verify "$work/out" --max-skew-us 5000 >"$work/verify.txt" || { cat "$work/verify.txt"; fail "verify"; }
    cat "$work/verify.txt"
    for f in 00 01 02; do
        [ -f "$work/out/t/pos-0002/pi03-cam-$f.jpg" ] || fail "frame $f of position 2 missing"
    done
    pass "3 positions x 3 frames x 4 cameras, every frame within 5 ms of the others"
    ;;
resume)
    SETTLE_MS=300 write_plan 10
    scan --out "$work/out" >"$work/first.txt" 2>&1 &
    pid=$!
    # Wait until three positions are recorded, then kill every rank at once (a crash).
    for _ in $(seq 1 300); do
        n=$(grep -c '"type":"position"' "$work/out/t/manifest.jsonl" 2>/dev/null || true)
        [ "${n:-0}" -ge 3 ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$work/first.txt"; fail "the first scan ended by itself"; }
        sleep 0.1
    done
    # Only the ranks (their command line starts with the binary), not mpirun.
    pkill -KILL -f "^$LOCKSTEP scan $work/plan.yaml" || { cat "$work/first.txt"; fail "no scan to kill"; }
    wait "$pid" 2>/dev/null || true
    if "$LOCKSTEP" verify "$work/out" >"$work/verify1.txt"; then fail "an interrupted scan verified"; fi
    grep -q "did not finish" "$work/verify1.txt" || { cat "$work/verify1.txt"; fail "verify did not say why"; }
    pass "interrupted scan is reported incomplete"
    scan --out "$work/out" --resume >"$work/second.txt" 2>&1 || { cat "$work/second.txt"; fail "resume"; }
    grep -q "resuming at position" "$work/second.txt" || { cat "$work/second.txt"; fail "did not resume"; }
    "$LOCKSTEP" verify "$work/out" || fail "resumed scan does not verify"
    [ "$(count_frames "$work/out/t")" -eq 40 ] || fail "expected 40 frames"
    [ "$(grep -c '"type":"frame"' "$work/out/t/manifest.jsonl")" -eq 40 ] || fail "manifest has duplicates or gaps"
    pass "resumed: 40 frames, each recorded once, all verified"
    ;;
skew)
    # Raspberry Pi HQ cameras (IMX477): a 10 fps full-resolution mode, an 87 ms rolling readout and
    # a control latency of 6 frames that lockstep is not told. Phase-locked cameras must capture
    # within 200 us of each other at every position, with the lock measured and reported, and no
    # row exposed while the table turned (verify reads the top and the bottom rows). The scheme
    # lockstep used before (retime per capture, latency assumed to be 5 frames) must fail it.
    sed -i 's/motor: turntable }/motor: turntable, sensor: imx477 }/' "$work/rig.yaml"
    [ "$(grep -c 'sensor: imx477' "$work/rig.yaml")" -eq 4 ] || fail "the rig has not 4 IMX477 cameras"
    MAX_SKEW_US=200 write_plan 8
    scan --out "$work/locked" || fail "scan exited $?"
    "$LOCKSTEP" verify "$work/locked" >"$work/locked.txt" || { cat "$work/locked.txt"; fail "phase-locked scan does not verify"; }
    cat "$work/locked.txt"
    grep -q "32 frames checked, 32 angles read from pixels" "$work/locked.txt" || fail "verify did not read every angle"
    p99=$(sed -n 's/.*skew between cameras per position: p50 [0-9]* us, p99 \([0-9]*\) us.*/\1/p' "$work/locked.txt")
    [ -n "$p99" ] && [ "$p99" -le 200 ] || fail "skew p99 ${p99:-?} us, expected <= 200 us"
    pass "IMX477 rig, phase-locked: 32 frames, skew p99 $p99 us, top and bottom rows at the commanded angle"
    python3 - "$work/locked/t/manifest.jsonl" <<'PY' || fail "lock figures"
import json, sys
positions = [l for l in map(json.loads, open(sys.argv[1])) if l.get("type") == "position"]
assert len(positions) == 8, len(positions)
worst = 0
for p in positions:
    assert sorted(p["lock"]) == ["pi01/cam", "pi02/cam", "pi03/cam", "pi04/cam"], p["lock"]
    for camera, f in p["lock"].items():
        assert f["latency_frames"] == 6, (camera, f)
        assert f["frames"] > 0, (camera, f)
        worst = max(worst, f["max_us"])
assert worst < 200, worst
print("lock: every camera measured a 6-frame latency; worst lock error %.1f us" % worst)
PY
    "$LOCKSTEP" report "$work/locked" >/dev/null || fail "report"
    grep -q "lock.svg" "$work/locked/t/report/index.html" || fail "no lock chart in the report"
    grep -q "6 frames" "$work/locked/t/report/index.html" || fail "no measured latency in the report"
    pass "lock error and measured latency recorded per position and shown in the report"

    sed -i 's/quality: 90 }/quality: 90, sync: open_loop }/' "$work/plan.yaml"
    grep -q "sync: open_loop" "$work/plan.yaml" || fail "plan not switched to open loop"
    rc=0
    scan --out "$work/open" >"$work/open.txt" 2>&1 || rc=$?
    cat "$work/open.txt"
    [ "$rc" -eq 1 ] || fail "open loop on IMX477: exit status $rc, expected 1"
    grep -q "not on the frame grid" "$work/open.txt" || fail "open loop: no capture-time error"
    pass "the open-loop scheme misses its instants on the same rig and the scan stops (exit 1)"
    ;;
readonly)
    write_plan 2
    mkdir "$work/ro"
    if [ "$(id -u)" -eq 0 ]; then
        # Root writes through permissions: a read-only mount, in a mount namespace of its own.
        expected="Read-only file system"
        if unshare -m sh -c "mount -t tmpfs -o ro tmpfs '$work/ro' && \
            '$SOURCE_DIR/scripts/mpirun-sim.sh' 4 '$LOCKSTEP' scan '$work/plan.yaml' --node-by-rank --out '$work/ro'" \
            2>"$work/err.txt"; then
            fail "scan into a read-only file system succeeded"
        fi
    else
        expected="Permission denied"
        chmod a-w "$work/ro"
        if scan --out "$work/ro" 2>"$work/err.txt"; then fail "scan into a read-only directory succeeded"; fi
    fi
    grep -q "$expected" "$work/err.txt" || { cat "$work/err.txt"; fail "no clear message"; }
    pass "read-only output: clear error ($(grep -m1 "$expected" "$work/err.txt"))"
    ;;
full)
    write_plan 8
    mkdir "$work/small"
    mount -t tmpfs -o size=160k tmpfs "$work/small" || { echo "SKIP: cannot mount a tmpfs (need root)"; exit 77; }
    mounted=$work/small
    rc=0
    scan --out "$work/small" 2>"$work/err.txt" || rc=$?
    # Not bad input: the run failed (exit 1).
    [ "$rc" -eq 1 ] || { cat "$work/err.txt"; fail "scan into a full file system: exit status $rc, expected 1"; }
    grep -q "No space left on device" "$work/err.txt" || { cat "$work/err.txt"; fail "no clear message"; }
    pass "full file system: clear error ($(grep -m1 'No space' "$work/err.txt"))"
    leftovers=$(find "$work/small" -name '.*tmp*' | wc -l)
    [ "$leftovers" -eq 0 ] || fail "$leftovers temporary files left behind"
    for f in $(find "$work/small" -name '*.jpg'); do
        [ "$(tail -c 2 "$f" | od -An -tx1 | tr -d ' ')" = "ffd9" ] || fail "partial frame $f"
    done
    pass "no temporary or partial frame left"
    ;;
move)
    rig=$work/rig.yaml
    "$LOCKSTEP" move turntable=90 --rig "$rig" --node pi01 >"$work/out.txt" 2>"$work/progress.txt" || fail "move"
    cat "$work/out.txt" "$work/progress.txt"
    grep -q "turntable: at 90.000 deg (step 800)" "$work/out.txt" || fail "not at the target"
    [ "$("$SIM_LINE" "$rig" pi01 turntable)" = 1 ] || fail "ENABLE (line 22, active low) still asserted"
    pass "moved to 90 deg (step 800), ENABLE released"
    # The 1.5 s move shows where the turntable is while it turns: a line a second in a log file.
    awk '$1 == "moving:" && $2 == "turntable" && $3 > 0 && $3 < 90 && $4 == "deg" { found = 1 }
         END { exit !found }' "$work/progress.txt" || fail "no progress line with a position between 0 and 90 deg"
    pass "progress while moving: $(grep -m1 '^moving:' "$work/progress.txt")"
    "$LOCKSTEP" move turntable=30 --rig "$rig" --node pi01 >"$work/out.txt" || fail "second move"
    grep -q "turntable: 90.000 -> 30.000" "$work/out.txt" || fail "did not continue from 90"
    pass "a second move continues from the stored position"
    interrupt_move TERM "held (--hold)" "$work/hold.txt" turntable=40 --hold
    [ "$level_before" = 0 ] || fail "--hold: ENABLE not asserted while holding (level $level_before)"
    [ "$level_after" = 1 ] || fail "--hold: ENABLE still asserted after SIGTERM"
    [ "$move_rc" -eq 143 ] || fail "--hold: exit status $move_rc after SIGTERM, expected 143"
    pass "--hold keeps ENABLE asserted until SIGTERM, then releases it (exit 143)"
    # Ctrl-C in the middle of a move: the move stops, ENABLE is released, exit status 130.
    interrupt_move INT "^moving:" "$work/int.txt" turntable=300
    [ "$level_before" = 0 ] || fail "SIGINT: ENABLE was not asserted during the move (level $level_before)"
    [ "$level_after" = 1 ] || fail "SIGINT: ENABLE still asserted"
    [ "$move_rc" -eq 130 ] || fail "SIGINT: exit status $move_rc, expected 130"
    grep -q "move: STOPPED" "$work/int.txt" || fail "SIGINT: the move was not reported stopped"
    pass "SIGINT during a move stops it and releases ENABLE (exit 130)"
    move_rc=0
    "$LOCKSTEP" move turntable=800 --rig "$rig" --node pi01 >"$work/refused.txt" 2>"$work/err.txt" || move_rc=$?
    [ "$move_rc" -eq 2 ] || fail "a target beyond the soft limit: exit status $move_rc, expected 2"
    [ "$("$SIM_LINE" "$rig" pi01 turntable)" = 1 ] || fail "ENABLE asserted after a refused move"
    cat "$work/err.txt"
    grep -q "turntable: target 800 deg is above its soft maximum 720" "$work/err.txt" || fail "no clear message"
    # Refused before the lines were opened: no "FROM -> TO" line, no real-time warning.
    [ ! -s "$work/refused.txt" ] || { cat "$work/refused.txt"; fail "the refused move got as far as opening the motor"; }
    pass "target beyond the soft limit refused (exit 2) before any line was opened"
    "$LOCKSTEP" home turntable --rig "$rig" --node pi01 >"$work/home.txt" || { cat "$work/home.txt"; fail "home"; }
    cat "$work/home.txt"
    grep -q "endstop found" "$work/home.txt" || fail "endstop not found"
    pass "homed on the simulated endstop"
    # Ctrl-C while homing (README: progress while it turns, ENABLE released on Ctrl-C): from 60
    # deg the approach to the endstop at -5 deg takes over 3 s at the rig's 20 deg/s.
    "$LOCKSTEP" move turntable=60 --rig "$rig" --node pi01 >"$work/out.txt" || fail "move to 60"
    interrupt_command INT "^moving:" "$work/home-int.txt" home turntable
    awk '$1 == "moving:" && $2 == "turntable" && $3 > -5 && $3 < 60 && $4 == "deg" { found = 1 }
         END { exit !found }' "$work/home-int.txt" || fail "homing: no progress line with a position between -5 and 60 deg"
    pass "progress while homing: $(grep -m1 '^moving:' "$work/home-int.txt")"
    [ "$level_before" = 0 ] || fail "SIGINT: ENABLE was not asserted while homing (level $level_before)"
    [ "$level_after" = 1 ] || fail "SIGINT: ENABLE still asserted after homing was interrupted"
    [ "$move_rc" -eq 130 ] || fail "SIGINT while homing: exit status $move_rc, expected 130"
    grep -q "endstop NOT found" "$work/home-int.txt" || fail "SIGINT: homing was not reported unfinished"
    pass "SIGINT while homing stops it and releases ENABLE (exit 130)"
    ;;
owned)
    # Two scans into one folder: the second is refused at once, naming the first, and adds
    # nothing; the first is not disturbed. (Before the folder lock both printed "scan complete".)
    # The second scan's four ranks start on the same two cores while the first one's motor
    # moves: this test is about the folder, so its moves may be up to 1 s late, not 100 ms.
    sed -i 's/max_lateness_us: 100000/max_lateness_us: 1000000/' "$work/rig.yaml"
    grep -q "max_lateness_us: 1000000" "$work/rig.yaml" || fail "the rig's lateness bound was not raised"
    SETTLE_MS=300 write_plan 10
    scan --out "$work/out" >"$work/first.txt" 2>&1 &
    pid=$!
    for _ in $(seq 1 300); do
        [ -s "$work/out/t/manifest.jsonl" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$work/first.txt"; fail "the first scan ended by itself"; }
        sleep 0.1
    done
    before=$(cd "$work/out" && find . | sort)
    set +e
    scan --out "$work/out" >"$work/second.txt" 2>&1
    status=$?
    set -e
    cat "$work/second.txt"
    [ "$status" -eq 2 ] || fail "second scan: exit status $status, expected 2"
    grep -q "is in use by another scan (lockstep scan, pid" "$work/second.txt" ||
        fail "the refusal does not name the holder"
    [ "$(grep -c "is in use by another scan" "$work/second.txt")" -eq 1 ] ||
        fail "the refusal was said more than once (rank 0 alone says it)"
    kill -0 "$pid" 2>/dev/null || fail "the first scan did not outlive the refusal"
    wait "$pid" || { cat "$work/first.txt"; fail "the first scan failed"; }
    after=$(cd "$work/out" && find . -path ./t/pos-\* -prune -o -print | sort)
    [ "$(echo "$before" | grep -v '^./t/pos-' | sort)" = "$after" ] ||
        fail "the refused scan left something behind: $(echo "$after" | tr '\n' ' ')"
    "$LOCKSTEP" verify "$work/out" || fail "the first scan does not verify"
    [ "$(count_frames "$work/out/t")" -eq 40 ] || fail "expected 40 frames"
    pass "second scan into the same folder refused with exit 2 naming the first; the first verifies"
    ;;
signals)
    # The ways a scan under mpirun is stopped from outside. Open MPI's mpirun, when signalled
    # or when a rank dies, passes SIGTERM on to the ranks a second later and SIGKILLs them a
    # second after that, and then exits 1 whatever the ranks did; srun and scancel signal
    # every task at once, as the second part does. This test is about signals: moves may be
    # up to 1 s late (the machine may be busy), not 100 ms.
    sed -i 's/max_lateness_us: 100000/max_lateness_us: 1000000/' "$work/rig.yaml"
    SETTLE_MS=300 write_plan 10
    ranks() { pgrep -f "^$LOCKSTEP scan $work/plan.yaml" || true; }
    rank_pid() { # RANK: its pid (the watchdog it forked is named lockstep-wdog)
        for p in $(ranks); do
            [ "$(cat "/proc/$p/comm" 2>/dev/null)" = lockstep ] || continue
            tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "PMIX_RANK=$1" && echo "$p"
        done
    }
    positions() { grep -c '"type":"position"' "$work/out/t/manifest.jsonl" 2>/dev/null || true; }
    start_scan() { # OUTPUT [ARGS]: a scan in the background, returned once 2 more positions are in
        output=$1
        shift
        before=$(positions)
        scan --out "$work/out" "$@" >"$output" 2>&1 &
        scan_pid=$!
        for _ in $(seq 1 300); do
            n=$(positions)
            [ "${n:-0}" -ge $((${before:-0} + 2)) ] && return 0
            kill -0 "$scan_pid" 2>/dev/null || { cat "$output"; fail "the scan ended by itself"; }
            sleep 0.1
        done
        fail "the scan made no progress"
    }
    stopped_once() { # OUTPUT SIGNAL
        cat "$1"
        [ "$(grep -c "stopped by $2" "$1")" -eq 1 ] || fail "not one 'stopped by $2' message"
        grep "stopped by $2" "$1" | grep -q -- "--resume" || fail "the message does not say --resume"
        [ "$(ranks)" = "" ] || fail "ranks left running: $(ranks)"
        [ "$("$SIM_LINE" "$work/rig.yaml" pi01 turntable)" = 1 ] || fail "ENABLE left asserted"
    }

    # 1. SIGTERM to mpirun.
    start_scan "$work/term.txt"
    pkill -TERM -f "^mpirun .*$work/plan.yaml"
    wait "$scan_pid" || true
    stopped_once "$work/term.txt" SIGTERM
    pass "SIGTERM to mpirun: every rank stopped, ENABLE released, one message saying --resume"

    # 2. SIGINT to every rank at once: each exits 130, and so does mpirun (the first rank's).
    start_scan "$work/int.txt" --resume
    pkill -INT -f "^$LOCKSTEP scan $work/plan.yaml"
    set +e
    wait "$scan_pid"
    status=$?
    set -e
    stopped_once "$work/int.txt" SIGINT
    [ "$status" -eq 130 ] || fail "SIGINT: exit status $status, expected 130"
    pass "SIGINT to every rank: exit 130, ENABLE released, one message saying --resume"

    # 3. SIGTERM to one rank only (pi03's): its health at the next fence stops every rank, and
    # rank 0, not signalled itself, says which node was.
    start_scan "$work/one.txt" --resume
    victim=$(rank_pid 2)
    [ -n "$victim" ] || fail "rank 2 not found"
    kill -TERM "$victim"
    set +e
    wait "$scan_pid"
    status=$?
    set -e
    stopped_once "$work/one.txt" "SIGTERM on pi03"
    [ "$status" -eq 143 ] || fail "SIGTERM to one rank: exit status $status, expected 143"
    pass "SIGTERM to one rank: every rank stopped at the next fence, rank 0 named pi03, exit 143"

    # 4. kill -9 of the motor's rank (pi01 is rank 0): nothing runs in it, its watchdog makes
    # ENABLE inactive within the 100 ms docs/reliability.md promises, and says so.
    start_scan "$work/kill.txt" --resume
    [ "$("$SIM_LINE" "$work/rig.yaml" pi01 turntable)" = 0 ] || fail "ENABLE is not asserted mid-scan"
    victim=$(rank_pid 0)
    [ -n "$victim" ] || fail "rank 0 not found"
    ms=$("$SIM_LINE" "$work/rig.yaml" pi01 turntable --kill "$victim")
    wait "$scan_pid" || true
    cat "$work/kill.txt"
    echo "ENABLE inactive $ms ms after SIGKILL"
    awk -v ms="$ms" 'BEGIN { exit !(ms >= 0 && ms <= 100) }' || fail "ENABLE inactive after $ms ms"
    grep -q "watchdog: rank 0 (pid $victim) on pi01 ended with its motors enabled.*ENABLE of turntable driven inactive" \
        "$work/kill.txt" || fail "the watchdog did not say what it did"
    [ "$(ranks)" = "" ] || fail "ranks or watchdogs left running: $(ranks)"

    # Whatever stopped them, the scan resumes and completes.
    scan --out "$work/out" --resume >"$work/last.txt" 2>&1 || { cat "$work/last.txt"; fail "resume"; }
    "$LOCKSTEP" verify "$work/out" || fail "the resumed scan does not verify"
    [ "$(count_frames "$work/out/t")" -eq 40 ] || fail "expected 40 frames"
    pass "kill -9 of the motor rank: ENABLE inactive after $ms ms, said by its watchdog; resumed and verified"
    ;;
tamper)
    # Each way of changing a finished scan must make verify fail, naming the file. A copy of
    # the scan per tamper; python3 edits the manifest's JSON lines.
    write_plan 3
    scan --out "$work/out" >"$work/scan.txt" 2>&1 || { cat "$work/scan.txt"; fail "scan"; }
    "$LOCKSTEP" verify "$work/out" >/dev/null || fail "the untouched scan does not verify"
    tamper "one bit of a JPEG header flipped, same size" "pos-0000/pi02-cam.jpg: checksum does not match" '
f = s + "/pos-0000/pi02-cam.jpg"; b = bytearray(open(f, "rb").read()); b[20] ^= 1; open(f, "wb").write(b)'
    tamper "a manifest path leaving the scan" "../../../etc/hostname: outside the scan folder" '
frames[0]["file"] = "../../../etc/hostname"'
    tamper "one frame copied over another of its position" "pos-0001/pi03-cam.jpg: identical to pos-0001/pi02-cam.jpg" '
import shutil; shutil.copy(s + "/pos-0001/pi02-cam.jpg", s + "/pos-0001/pi03-cam.jpg")
[rehash(f) for f in frames if f["file"] == "pos-0001/pi03-cam.jpg"]'
    tamper "exposure changed in the manifest" "pos-0000/pi01-cam.jpg: exposure 8000 us, the plan asks 4000 us" '
frames[0]["exposure_us"] = 8000'
    tamper "dimensions changed in the manifest" "the image is 320x240, the manifest says 640x240" '
frames[0]["width"] = 640'
    tamper "the position line's T changed" "capture instant T .* differs from its position" '
positions[0]["T"] += 1000'
    tamper "every frame of a position exposed 20 ms before T (the skew between them unchanged)" \
        "pos-0001/pi0[1-4]-cam.jpg: exposure started [0-9]* us before the capture instant T (bound 5000 us)" '
[f.update(sensor_ts=f["sensor_ts"] - 20000000) for f in frames if f["position"] == 1]'
    tamper "a sensor timestamp moved by a second" "pos-0002/pi04-cam.jpg: exposed [0-9]* us after pos-0002/pi0[1-3]-cam.jpg" '
[f.update(sensor_ts=f["sensor_ts"] + 1000000000) for f in frames if f["file"] == "pos-0002/pi04-cam.jpg"]'
    # Edits the plan's tolerance lets through (a sensor's rounding) still contradict the EXIF
    # the frame was written with.
    tamper "exposure changed within the plan's rounding" "pos-0000/pi01-cam.jpg: manifest exposure 4050 us, the file's EXIF says 4000 us" '
frames[0]["exposure_us"] = 4050'
    tamper "gain changed within the plan's rounding" "manifest gain 1.020000, the file's EXIF says 1.000000" '
frames[0]["gain"] = 1.02'
    tamper "sensor time moved by 40 us" "manifest sensor_ts .* the file's EXIF says" '
frames[1]["sensor_ts"] += 40000'
    tamper "a frame without its EXIF" "pos-0001/pi01-cam.jpg: no capture EXIF in the file" '
f = s + "/pos-0001/pi01-cam.jpg"; b = open(f, "rb").read(); i = b.index(b"\xff\xe1")
b = b[:i] + b[i + 2 + (b[i + 2] << 8 | b[i + 3]):]; open(f, "wb").write(b)
[rehash(x) for x in frames if x["file"] == "pos-0001/pi01-cam.jpg"]'
    ;;
png)
    # PNG frames end to end, two of the four cameras, and return_home: a scan of 3 positions
    # (0, 30, 60 deg) by pi01/cam and pi03/cam ends with the turntable back at 0.
    write_plan 3 'cameras: [pi01/cam, pi03/cam]
return_home: true'
    sed -i 's/format: jpeg, quality: 90/format: png/' "$work/plan.yaml"
    grep -q "format: png" "$work/plan.yaml" || fail "plan not switched to PNG"
    scan --out "$work/out" >"$work/scan.txt" 2>&1 || { cat "$work/scan.txt"; fail "scan exited $?"; }
    frames=$(cd "$work/out/t" && find . -path './pos-*' -type f | sort | tr '\n' ' ')
    expected="./pos-0000/pi01-cam.png ./pos-0000/pi03-cam.png ./pos-0001/pi01-cam.png ./pos-0001/pi03-cam.png ./pos-0002/pi01-cam.png ./pos-0002/pi03-cam.png "
    [ "$frames" = "$expected" ] || fail "frames: $frames, expected $expected"
    pass "6 PNG frames, only from pi01/cam and pi03/cam"
    "$LOCKSTEP" verify "$work/out" >"$work/verify.txt" || { cat "$work/verify.txt"; fail "verify"; }
    grep -q "6 frames checked, 6 angles read from pixels" "$work/verify.txt" || { cat "$work/verify.txt"; fail "verify did not read every angle"; }
    pass "verify: the PNG frames decode and show the commanded angles"
    "$LOCKSTEP" move turntable=10 --rig "$work/rig.yaml" --node pi01 >"$work/move.txt" || fail "move"
    grep -q "turntable: 0.000 -> 10.000" "$work/move.txt" || { cat "$work/move.txt"; fail "return_home: the turntable did not end at 0 deg"; }
    pass "return_home: the turntable ended the scan at its first position (0 deg), not at 60"
    ;;
dng)
    # Raw frames beside the JPEGs: each frame written twice in one durable batch, both files
    # recorded, verified (the DNG's own tags against its manifest line, the turntable's angle
    # read from its mosaic), resumed exactly when one DNG is lost, and tampered with.
    write_plan 3
    sed -i 's/format: jpeg, quality: 90/formats: [jpeg, dng], quality: 90/' "$work/plan.yaml"
    grep -q "formats: \[jpeg, dng\]" "$work/plan.yaml" || fail "plan not switched to jpeg and dng"
    scan --out "$work/out" >"$work/scan.txt" 2>&1 || { cat "$work/scan.txt"; fail "scan exited $?"; }
    jpgs=$(find "$work/out/t" -path '*/pos-*' -name '*.jpg' | wc -l)
    dngs=$(find "$work/out/t" -path '*/pos-*' -name '*.dng' | wc -l)
    [ "$jpgs" -eq 12 ] && [ "$dngs" -eq 12 ] || fail "$jpgs JPEGs and $dngs DNGs, expected 12 of each"
    head -c 4 "$work/out/t/pos-0001/pi02-cam.dng" | od -An -c | grep -Eq 'I +I +\* +\\0|M +M +\\0 +\*' ||
        fail "pos-0001/pi02-cam.dng is not a TIFF"
    pass "3 positions x 4 cameras: 12 JPEGs and 12 DNGs"
    "$LOCKSTEP" verify "$work/out" >"$work/verify.txt" || { cat "$work/verify.txt"; fail "verify"; }
    grep -q "24 frames checked, 24 angles read from pixels" "$work/verify.txt" ||
        { cat "$work/verify.txt"; fail "verify did not check every file and angle"; }
    pass "verify: every JPEG and DNG checked, the angle read from each DNG's mosaic too"

    # A lost DNG makes its position incomplete: --resume takes that position again, whole.
    rm -rf "$work/lost" && cp -a "$work/out" "$work/lost"
    rm "$work/lost/t/pos-0001/pi03-cam.dng"
    python3 - "$work/lost/t/manifest.jsonl" <<'PY'
import json, sys
path = sys.argv[1]
lines = [json.loads(l) for l in open(path)]
keep = [l for l in lines if l["type"] != "complete" and l.get("position", 0) < 2]
with open(path, "w") as out:
    for l in keep:
        out.write(json.dumps(l, sort_keys=True, separators=(",", ":")) + "\n")
PY
    scan --out "$work/lost" --resume >"$work/resume.txt" 2>&1 || { cat "$work/resume.txt"; fail "resume exited $?"; }
    # Counted from 1 there: pos-0001 is the second position (pos-0002 would be "3 of 3").
    grep -q "resuming at position 2 of 3" "$work/resume.txt" || { cat "$work/resume.txt"; fail "did not resume at pos-0001"; }
    "$LOCKSTEP" verify "$work/lost" >"$work/verify2.txt" || { cat "$work/verify2.txt"; fail "the resumed scan does not verify"; }
    pass "a lost DNG: --resume took pos-0001 again and the scan verifies"

    tamper "one byte of a DNG's samples changed, same size" "pos-0000/pi02-cam.dng: checksum does not match" '
f = s + "/pos-0000/pi02-cam.dng"; b = bytearray(open(f, "rb").read()); b[-100] ^= 0x10; open(f, "wb").write(b)'
    tamper "a DNG's exposure changed in the manifest within the plan's rounding" \
        "pos-0000/pi01-cam.dng: manifest exposure 4050 us, the DNG says 4000 us" '
[f.update(exposure_us=4050) for f in frames if f["file"] == "pos-0000/pi01-cam.dng"]'
    # The file's own ExposureTime (EXIF 33434, a RATIONAL in the EXIF IFD that IFD0's 34665
    # points to) doubled and the manifest's checksum made to match: only reading the tag sees it.
    tamper "a DNG's own ExposureTime tag doubled, checksum updated" \
        "pos-0000/pi03-cam.dng: manifest exposure 4000 us, the DNG says 8000 us" '
f = s + "/pos-0000/pi03-cam.dng"; b = bytearray(open(f, "rb").read())
assert b[:2] == b"II", "not a little-endian TIFF"
ifd0 = entries(b, struct.unpack_from("<I", b, 4)[0])
exif = entries(b, struct.unpack_from("<I", b, ifd0[34665] + 8)[0])
at = struct.unpack_from("<I", b, exif[33434] + 8)[0]
num, den = struct.unpack_from("<II", b, at); struct.pack_into("<II", b, at, num * 2, den)
open(f, "wb").write(b)
[rehash(x) for x in frames if x["file"] == "pos-0000/pi03-cam.dng"]'
    tamper "a JPEG in place of a DNG" "pos-0002/pi04-cam.dng: not a readable DNG" '
import shutil; shutil.copy(s + "/pos-0002/pi04-cam.jpg", s + "/pos-0002/pi04-cam.dng")
[rehash(f) for f in frames if f["file"] == "pos-0002/pi04-cam.dng"]'
    tamper "a DNG missing with its manifest line" "position 1 frame 0 of pi01/cam (dng) is missing from the manifest" '
import os; os.remove(s + "/pos-0001/pi01-cam.dng")
lines[:] = [l for l in lines if l.get("file") != "pos-0001/pi01-cam.dng"]'
    ;;
validate)
    write_plan 4 "motion: { turntable: { max_speed: 500 } }"
    set +e
    "$LOCKSTEP" validate "$work/plan.yaml" 2>"$work/err.txt"
    status=$?
    set -e
    cat "$work/err.txt"
    [ "$status" -eq 2 ] || fail "exit status $status, expected 2"
    grep -Eq "^$work/plan.yaml:[0-9]+:[0-9]+: .*max" "$work/err.txt" || fail "no FILE:LINE:COL message"
    pass "bad plan: exit 2 with FILE:LINE:COL"
    ;;
*)
    fail "unknown test $test_name"
    ;;
esac
