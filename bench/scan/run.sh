#!/bin/sh
# Scan benchmarks on one machine: the simulated 4-camera rig as four processes under mpirun.
#   1. capture skew: a 24-position scan at 640x480; per-position skew (latest minus earliest
#      sensor timestamp of the four cameras) p50/p99/max, as `lockstep verify` computes it;
#   2. peak memory per rank at 12 MP (4056x3040): 4 positions, every rank's peak resident set,
#      as the scan reports it, beside the size of one 12 MP RGB frame;
#   3. the same at its worst: no settle and 4 frames per position, so the cameras deliver
#      faster than the writers encode and the bounded queue stays full.
# Usage: bench/scan/run.sh BUILD_DIR
set -eu
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
lockstep=$build/launcher/lockstep
work=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-bench-scan.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cp "$top/conf/rig-turntable-sim.yaml" "$work/rig.yaml"

plan() { # NAME COUNT WIDTH HEIGHT [SETTLE_MS FRAMES_PER_POSITION]
    cat >"$work/$1.yaml" <<PLAN
scan: $1
rig: rig.yaml
positions: { sweep: { motor: turntable, from: 0, to: $(( ($2 - 1) * 15 )), count: $2 } }
settle_ms: ${5:-100}
frames_per_position: ${6:-1}
capture: { exposure_us: 8000, width: $3, height: $4, format: jpeg, quality: 90 }
capture_margin_ms: 50
output: { pattern: "pos-{position}/{node}-{camera}-{frame}" }
PLAN
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr), load average $(cut -d' ' -f1 /proc/loadavg)"

plan skew 24 640 480
echo "command: scripts/mpirun-sim.sh 4 lockstep scan skew.yaml --node-by-rank (24 positions, 640x480)"
"$top/scripts/mpirun-sim.sh" 4 "$lockstep" scan "$work/skew.yaml" --out "$work/out" --node-by-rank 2>/dev/null | tail -1
"$lockstep" verify "$work/out/skew" | grep -E "skew|OK|FAIL"

plan big 4 4056 3040
echo "command: scripts/mpirun-sim.sh 4 lockstep scan big.yaml --node-by-rank (4 positions, 4056x3040 = 12.3 MP; one RGB frame = 37 MB)"
"$top/scripts/mpirun-sim.sh" 4 "$lockstep" scan "$work/big.yaml" --out "$work/out" --node-by-rank 2>/dev/null | grep -E "peak memory"
"$lockstep" verify "$work/out/big" | grep -E "OK|FAIL"

plan full 6 4056 3040 0 4
echo "command: scripts/mpirun-sim.sh 4 lockstep scan full.yaml --node-by-rank (6 positions x 4 frames, settle 0, 4056x3040: the writer queue full)"
"$top/scripts/mpirun-sim.sh" 4 "$lockstep" scan "$work/full.yaml" --out "$work/out" --node-by-rank 2>/dev/null | grep -E "peak memory"
"$lockstep" verify "$work/out/full" | grep -E "OK|FAIL"
