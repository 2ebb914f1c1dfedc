# Cameras on real-sensor timing under Slurm: the test cluster's rig with Raspberry Pi HQ camera
# (IMX477) timing on every node (10 fps full-resolution mode, 87 ms rolling readout, a 6-frame
# control latency lockstep is not told). Sourced by lockstep-checks.sh.
sed 's/motor: turntable }/motor: turntable, sensor: imx477 }/' "$RUN/rig.yaml" >"$RUN/rig-hq.yaml"
sed -e 's/^rig: rig.yaml/rig: rig-hq.yaml/' -e 's/^scan: cluster/scan: hq/' \
    -e 's/^max_skew_us: .*/max_skew_us: 200/' -e 's/count: 4/count: 6/' \
    "$HERE/scan-cluster.yaml" >"$RUN/scan-hq.yaml"

check "scan.sbatch with IMX477 timing: skew p99 <= 200 us, latency measured, no row exposed while moving"
rm -rf "$RUN/hq-out"
run sbatch -W -o "$RUN/hq.out" "$JOBSCRIPTS/scan.sbatch" "$RUN/scan-hq.yaml" "$RUN/rig-hq.yaml" "$RUN/hq-out"
"$BIN/lockstep" verify "$RUN/hq-out/hq" >"$RUN/hq-verify.out" 2>&1 || true
p99=$(sed -n 's/.*skew between cameras per position: p50 [0-9]* us, p99 \([0-9]*\) us.*/\1/p' "$RUN/hq-verify.out")
latencies=$(python3 -c '
import json, sys
lock = [l["lock"] for l in map(json.loads, open(sys.argv[1])) if l.get("type") == "position"]
print(" ".join(sorted({str(f["latency_frames"]) for p in lock for f in p.values()})), len(lock))' \
    "$RUN/hq-out/hq/manifest.jsonl" 2>/dev/null || echo none)
if [ "$rc" -eq 0 ] && grep -q ": OK$" "$RUN/hq-verify.out" &&
    grep -q "24 frames checked, 24 angles read from pixels" "$RUN/hq-verify.out" &&
    [ -n "$p99" ] && [ "$p99" -le 200 ] && [ "$latencies" = "6 6" ]; then
    pass "skew p99 $p99 us; every camera measured a 6-frame latency at all 6 positions"
else
    fail "rc=$rc p99=${p99:-?} latencies/positions='$latencies': $out $(cat "$RUN/hq.out" "$RUN/hq-verify.out" 2>/dev/null)"
fi
