#!/bin/sh
# Scan benchmarks on one machine: the simulated 4-camera rig as four processes under mpirun.
#   1. capture skew: a 24-position scan at 640x480; per-position skew (latest minus earliest
#      sensor timestamp of the four cameras) p50/p99/max, as `lockstep verify` computes it;
#   2. peak memory per rank at 12 MP (4056x3040): 4 positions, every rank's peak resident set,
#      as the scan reports it, beside the size of one 12 MP RGB frame;
#   3. the same at its worst: no settle and 4 frames per position, so the cameras deliver
#      faster than the writers encode and the bounded queue stays full.
#   4. the scan against its physical schedule at 4, 8, 16 and 32 ranks (simulated nodes, one
#      camera each, --oversubscribe on however few cores there are): 30 positions that do not
#      move, exposure 1 ms, settle 0, 64x48; wall time between the first and last capture
#      instants against exposure + readout + move + settle rounded to the frame grid, their
#      ratio, and the coordination cost beyond the schedule per position (median, p99), by node
#      count (bench/common/schedule_figures.py).
#      SCALE_NODES (default "4 8 16 32") and SCALE_MARGIN_MS (capture_margin_ms, default 10: per
#      position in the negotiated design, only before the first position in the planned one,
#      where 32 ranks on two cores need about 300 to finish planning in time) tune part 4, and
#      SCALE_SENSOR (sim.sensor, default generic: 30 fps) with SCALE_EXPOSURE_US (default 1000)
#      set its frame grid: a slower grid (imx477: 10 fps) leaves a position's exchange more time.
# Usage: bench/scan/run.sh BUILD_DIR [--schedule-only]
#        (prints the machine, the commands and markdown tables)
set -eu
build=$(cd "${1:?usage: run.sh BUILD_DIR [--schedule-only]}" && pwd)
only_schedule=${2:-}
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

# A rig of N simulated nodes: pi01 carries the turntable, every node one camera.
scale_rig() { # N
    {
        echo "rig: scale-$1-sim"
        echo "sim_dir: sim-state"
        echo "executor: { step_pulse_us: 2, dir_setup_us: 5, enable_setup_us: 100, max_lateness_us: 100000 }"
        echo "nodes:"
        i=1
        while [ "$i" -le "$1" ]; do
            printf '  - host: pi%02d\n' "$i"
            if [ "$i" -eq 1 ]; then
                echo "    motors:"
                echo "      - { name: turntable, backend: sim, step: { line: 17 }, dir: { line: 27 }, enable: { line: 22, active: low }, steps_per_rev: 200, microsteps: 16, units: deg, max_speed: 90, max_accel: 180, soft_limits: { min: -720, max: 720 } }"
            fi
            echo "    cameras:"
            echo "      - { name: cam, backend: sim, sim: { azimuth: $((360 * i / $1)), motor: turntable, sensor: ${SCALE_SENSOR:-generic} } }"
            i=$((i + 1))
        done
    } >"$work/rig-$1.yaml"
    {
        echo "scan: scale$1"
        echo "rig: rig-$1.yaml"
        echo "positions:"
        i=0
        while [ "$i" -lt 30 ]; do
            echo "  - { turntable: 0 }"
            i=$((i + 1))
        done
        echo "settle_ms: 0"
        echo "capture: { exposure_us: $scale_exposure_us, width: 64, height: 48, format: jpeg, quality: 90 }"
        echo "capture_margin_ms: ${SCALE_MARGIN_MS:-10}"
        echo "return_home: false"
    } >"$work/scale$1.yaml"
}

schedule_rows=
scale_exposure_us=${SCALE_EXPOSURE_US:-1000}
for n in ${SCALE_NODES:-4 8 16 32}; do
    scale_rig "$n"
    echo "command: scripts/mpirun-sim.sh $n lockstep scan scale$n.yaml --node-by-rank (30 positions, no motion, exposure $scale_exposure_us us, sensor ${SCALE_SENSOR:-generic}, settle 0, 64x48, $n nodes)"
    if "$top/scripts/mpirun-sim.sh" "$n" "$lockstep" scan "$work/scale$n.yaml" --out "$work/out" --node-by-rank \
        >"$work/scale$n.scan" 2>&1; then
        schedule_rows="$schedule_rows$(python3 "$top/bench/common/schedule_figures.py" "$work/out/scale$n" "$scale_exposure_us" 0 --row "$n")
"
    else
        echo "  the scan failed: $( (grep -m1 "error" "$work/scale$n.scan" || tail -n 3 "$work/scale$n.scan") | cut -c1-300)"
    fi
done
echo
echo "| nodes | position periods | wall (first to last capture) | physical schedule | wall / physical | coordination per position, median | p99 | time in the fence (slowest node), median / p99 |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s' "$schedule_rows"
[ "$only_schedule" = --schedule-only ] && exit 0

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
