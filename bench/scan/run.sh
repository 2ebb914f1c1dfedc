#!/bin/sh
# Scan benchmarks on one machine: the simulated 4-camera rig as four processes under mpirun.
#   1. capture skew: a 24-position scan at 640x480; per-position skew (latest minus earliest
#      sensor timestamp of the four cameras) p50/p99/max, as `lockstep verify` computes it;
#   2. peak memory per rank at 12 MP (4056x3040): 4 positions, every rank's peak resident set,
#      as the scan reports it, beside the size of one 12 MP RGB frame;
#   3. the same at its worst: no settle and 4 frames per position, so the cameras deliver
#      faster than the writers encode and the bounded queue stays full.
# Usage: bench/scan/run.sh BUILD_DIR     (prints the machine, the commands and markdown tables)
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

# Runs one scan and verify; prints the command, keeps the outputs as $work/NAME.{scan,verify}.
run_scan() { # NAME DESCRIPTION
    echo "command: scripts/mpirun-sim.sh 4 lockstep scan $1.yaml --node-by-rank ($2)"
    "$top/scripts/mpirun-sim.sh" 4 "$lockstep" scan "$work/$1.yaml" --out "$work/out" --node-by-rank \
        >"$work/$1.scan" 2>/dev/null || echo "  the scan failed: $(tail -n 3 "$work/$1.scan")"
    "$lockstep" verify "$work/out/$1" >"$work/$1.verify" 2>&1 || echo "  verify: $(grep FAIL "$work/$1.verify" | head -n 3)"
}

# "| NAME | pi01 | pi02 | pi03 | pi04 |" from the scan's "peak memory per rank: pi01 99 MiB, ..." line.
memory_row() { # NAME LABEL
    sed -n 's/^peak memory per rank: //p' "$work/$1.scan" |
        awk -v label="$2" -F', ' '{ row = "| " label; for (i = 1; i <= NF; i++) { split($i, f, " "); row = row " | " f[2] " " f[3] } print row " | 37 MiB |" }'
}

plan skew 24 640 480
run_scan skew "24 positions, 640x480"
plan big 4 4056 3040
run_scan big "4 positions, 4056x3040 = 12.3 MP"
plan full 6 4056 3040 0 4
run_scan full "6 positions x 4 frames, settle 0, 4056x3040: the writer queue full"

echo
echo "| capture skew across 4 cameras | p50 | p99 | max |"
echo "| --- | ---: | ---: | ---: |"
sed -n 's/.*skew between cameras per position: p50 \([0-9]*\) us, p99 \([0-9]*\) us, max \([0-9]*\) us.*/| 24 positions, 640x480 | \1 us | \2 us | \3 us |/p' "$work/skew.verify"
echo
echo "| peak resident memory per rank | pi01 | pi02 | pi03 | pi04 | one 12 MP RGB frame |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
memory_row big "12 MP, writers keep up"
memory_row full "12 MP, writer queue full"
echo
for name in skew big full; do echo "verify $name: $(tail -n 1 "$work/$name.verify" | sed 's/.*: //')"; done
