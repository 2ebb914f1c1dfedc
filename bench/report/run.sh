#!/bin/sh
# Report time on a 144-frame 12 MP scan (issue 13 item 4): the simulated 4-camera turntable rig
# scans 36 positions at 4056x3040 (JPEG q90) under mpirun, then `lockstep report` is timed
# beside its floor, a full-resolution decode of the same 144 frames with libjpeg-turbo's djpeg
# (one process, one frame after another, as the report reads them), and beside djpeg at 1/8
# scale (the DCT scaling the report uses), and beside `lockstep verify`, which the report runs
# first. Each is run RUNS times (default 3); medians printed.
# Usage: bench/report/run.sh BUILD_DIR   (needs djpeg: Debian's libjpeg-turbo-progs)
set -eu
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
runs=${RUNS:-3}
top=$(cd "$(dirname "$0")/../.." && pwd)
lockstep=$build/launcher/lockstep
command -v djpeg >/dev/null || { echo "djpeg not found: apt-get install libjpeg-turbo-progs" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-bench-report.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT INT TERM
cp "$top/conf/rig-turntable-sim.yaml" "$work/rig.yaml"
# settle_ms 2500: two loaded cores encode four 12 MP frames per position more slowly than the
# planned timeline moves on; with less the scan stops ("the move would end ... too late").
cat >"$work/report144.yaml" <<PLAN
scan: report144
rig: rig.yaml
positions: { sweep: { motor: turntable, from: 0, to: 350, count: 36 } }
settle_ms: 2500
frames_per_position: 1
capture: { exposure_us: 8000, width: 4056, height: 3040, format: jpeg, quality: 90 }
capture_margin_ms: 500
output: { pattern: "pos-{position}/{node}-{camera}" }
PLAN

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr), load average $(load)"
echo "command: scripts/mpirun-sim.sh 4 lockstep scan report144.yaml --node-by-rank (36 positions x 4 cameras, 4056x3040 JPEG q90)"
"$top/scripts/mpirun-sim.sh" 4 "$lockstep" scan "$work/report144.yaml" --out "$work/out" --node-by-rank \
    >"$work/scan.log" 2>&1 || { echo "the scan failed:"; tail -n 5 "$work/scan.log"; exit 1; }
scan=$work/out/report144
frames=$(find "$scan" -name '*.jpg' -path '*/pos-*' | sort)
count=$(echo "$frames" | wc -l)
bytes=$(echo "$frames" | xargs cat | wc -c)
echo "frames: $count, $(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }')"

# Seconds (wall) of one run of the command given.
elapsed() {
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f\n", e - s }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
decode_all() { # SCALE
    for f in $frames; do djpeg -scale "$1" -outfile /dev/null "$f" || return 1; done
}

: >"$work/report.t"; : >"$work/verify.t"; : >"$work/full.t"; : >"$work/eighth.t"
i=0
while [ "$i" -lt "$runs" ]; do
    rm -rf "$scan/report"
    elapsed "$lockstep" report "$scan" >>"$work/report.t"
    elapsed "$lockstep" verify "$scan" >>"$work/verify.t"
    elapsed decode_all 1/1 >>"$work/full.t"
    elapsed decode_all 1/8 >>"$work/eighth.t"
    i=$((i + 1))
done
[ -f "$scan/report/index.html" ] || { echo "the report wrote no index.html"; exit 1; }
report=$(median <"$work/report.t")
verify=$(median <"$work/verify.t")
full=$(median <"$work/full.t")
eighth=$(median <"$work/eighth.t")
echo "runs: $runs each, interleaved; load average after: $(load)"
echo
echo "| what | seconds (median of $runs) | / full decode |"
echo "| --- | ---: | ---: |"
echo "| \`lockstep report\` of the scan | $report | $(awk -v a="$report" -v b="$full" 'BEGIN { printf "%.2f", a / b }') |"
echo "| of it: \`lockstep verify\` of the scan (the report verifies first) | $verify | $(awk -v a="$verify" -v b="$full" 'BEGIN { printf "%.2f", a / b }') |"
echo "| floor: \`djpeg -scale 1/1\` of the $count frames, one after another | $full | 1 |"
echo "| \`djpeg -scale 1/8\` of the same frames | $eighth | $(awk -v a="$eighth" -v b="$full" 'BEGIN { printf "%.2f", a / b }') |"
