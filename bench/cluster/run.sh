#!/bin/sh
# lockstep on the four-node Slurm test cluster (tests/cluster/cluster.sh) with the simulated rig:
#  (i)  per-position coordination: one `lockstep scan` step of N positions that do not move
#       (settle 0, 64x48 frames), against the naive design of one `srun -N4 --mpi=pmix` step
#       per position (cluster_pmix_probe: PMIx_Init, one collecting fence, exit), N times, in
#       the same allocation, and `srun -N4 true` N times as the floor of any step launch;
#  (ii) the scan against its physical schedule (bench/common/schedule_figures.py): the time
#       between the first and last capture instants against exposure + readout + move +
#       settle per position rounded to the frame grid; their ratio; the coordination cost beyond
#       the schedule per position (median), with the naive step per position beside it;
#  (iii) capture skew across the four nodes: per position, max - min sensor_ts of its frames,
#       against the naive steps' spread of the instants they could capture at (each task's
#       start, and its return from the fence).
# Brings the cluster up and takes it down again (trap). Needs root.
#
#   bench/cluster/run.sh --build BUILD_DIR [--positions N] [--margin-ms MS]
#
# BUILD_DIR must hold the targets lockstep, cluster_pmix_probe and (optional) spank_lockstep.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CLUSTER="$REPO/tests/cluster/cluster.sh"
STATE=${LOCKSTEP_CLUSTER_STATE:-/var/lib/lockstep-test-cluster}
SHARED=${LOCKSTEP_CLUSTER_SHARED:-/srv/lockstep-test}
export LOCKSTEP_CLUSTER_STATE="$STATE" LOCKSTEP_CLUSTER_SHARED="$SHARED"

build= positions=30 margin_ms=10
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2 ;;
    --positions) positions=$2 ;;
    --margin-ms) margin_ms=$2 ;;
    *)
        echo "unknown argument: $1" >&2
        exit 2
        ;;
    esac
    shift 2
done
[ -n "$build" ] || {
    echo "usage: $0 --build BUILD_DIR [--positions N] [--margin-ms MS]" >&2
    exit 2
}
[ "$(id -u)" -eq 0 ] || {
    echo "needs root (the test cluster's namespaces and daemons)" >&2
    exit 2
}
build=$(cd "$build" && pwd)
for f in launcher/lockstep tests/cluster/cluster_pmix_probe; do
    [ -x "$build/$f" ] || {
        echo "$build/$f is missing: build the targets lockstep and cluster_pmix_probe" >&2
        exit 2
    }
done

# Everything the jobs touch lives in the shared directory (each node has a private /tmp).
RUN="$SHARED/bench"
BIN="$RUN/bin"
rm -rf "$RUN"
mkdir -p "$BIN" "$RUN/sim"
cp "$build/launcher/lockstep" "$BIN/lockstep"
cp "$build/tests/cluster/cluster_pmix_probe" "$BIN/pmix_probe"
cp "$REPO/tests/cluster/rig-cluster-sim.yaml" "$RUN/rig.yaml"
# The plugin as deployed, when it is built (it reserves the devices of every step).
plugin="$build/plugin/spank_lockstep.so"
if [ -f "$plugin" ]; then
    cp "$plugin" "$BIN/spank_lockstep.so"
    echo "required $BIN/spank_lockstep.so rig=$RUN/rig.yaml lockdir=$STATE/locks conflict=refuse"
else
    echo "# no plugin: $plugin is not built"
fi >"$RUN/plugstack.conf"

# N stops that all keep the turntable where it is: what is left is coordination and capture.
{
    echo "scan: bench"
    echo "rig: rig.yaml"
    echo "positions:"
    i=0
    while [ "$i" -lt "$positions" ]; do
        echo "  - { turntable: 0 }"
        i=$((i + 1))
    done
    echo "settle_ms: 0"
    echo "frames_per_position: 1"
    echo "capture: { exposure_us: 1000, gain: 1.0, width: 64, height: 48, format: jpeg, quality: 90 }"
    echo "capture_margin_ms: $margin_ms"
    echo "return_home: false"
} >"$RUN/plan.yaml"

trap '"$CLUSTER" down >/dev/null 2>&1' EXIT
trap 'exit 1' INT TERM
"$CLUSTER" up --plugstack "$RUN/plugstack.conf"
eval "$("$CLUSTER" env)"
cd "$RUN"

now_ns() { date +%s%N; }
SCAN_CMD="srun -N4 --ntasks-per-node=1 --mpi=pmix $BIN/lockstep scan $RUN/plan.yaml --rig $RUN/rig.yaml --out $RUN/out"
NAIVE_CMD="srun -N4 --ntasks-per-node=1 --mpi=pmix $BIN/pmix_probe --times"
FLOOR_CMD="srun -N4 --ntasks-per-node=1 true"

# One allocation of the four nodes for both designs; the job script times each step.
cat >"$RUN/job.sh" <<EOF
#!/bin/sh
set -eu
now_ns() { date +%s%N; }
"$BIN/lockstep" validate "$RUN/plan.yaml" --rig "$RUN/rig.yaml" >/dev/null
start=\$(now_ns)
$SCAN_CMD >"$RUN/scan.log" 2>&1
echo "scan \$(((\$(now_ns) - start) / 1000))" >"$RUN/times"
i=0
while [ "\$i" -lt $positions ]; do
    start=\$(now_ns)
    echo "step \$i" >>"$RUN/naive.log"
    $NAIVE_CMD >>"$RUN/naive.log" 2>&1
    echo "naive \$(((\$(now_ns) - start) / 1000))" >>"$RUN/times"
    start=\$(now_ns)
    $FLOOR_CMD
    echo "floor \$(((\$(now_ns) - start) / 1000))" >>"$RUN/times"
    i=\$((i + 1))
done
EOF
chmod +x "$RUN/job.sh"
load_before=$(cut -d' ' -f1 /proc/loadavg)
sbatch -W -N4 --ntasks-per-node=1 --time=20 -o "$RUN/job.out" "$RUN/job.sh" >/dev/null || {
    echo "the benchmark job failed:" >&2
    cat "$RUN/job.out" "$RUN/scan.log" "$RUN/naive.log" >&2 2>/dev/null || true
    exit 1
}
load_after=$(cut -d' ' -f1 /proc/loadavg)
verify=$("$BIN/lockstep" verify "$RUN/out" 2>&1 | grep 'skew between cameras' || true)

echo
echo "lockstep on the four-node Slurm test cluster (sim rig), $positions positions"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -sr) $(uname -m)"
echo "load average: $load_before before, $load_after after"
echo "command: $0 --build $build --positions $positions --margin-ms $margin_ms"
echo "  lockstep: $SCAN_CMD"
echo "  naive:    $NAIVE_CMD   ($positions times, one step per position)"
echo "  floor:    $FLOOR_CMD   ($positions times, interleaved with the naive steps)"
echo "verify: $verify"
echo
python3 - "$RUN/times" "$RUN/out/bench/manifest.jsonl" "$positions" "$margin_ms" "$RUN/naive.log" <<'EOF'
import json
import statistics
import sys

times_path, manifest_path, n, margin_ms, naive_log = (sys.argv[1], sys.argv[2], int(sys.argv[3]),
                                                     sys.argv[4], sys.argv[5])


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, -(-len(s) * p // 100) - 1))]


scan_ms = None
launches = {"naive": [], "floor": []}
for line in open(times_path):
    what, us = line.split()
    if what == "scan":
        scan_ms = int(us) / 1000
    else:
        launches[what].append(int(us) / 1000)
naive_ms, floor_ms = launches["naive"], launches["floor"]

T = {}
sensor = {}
phases = {"move_ms": [], "settle_ms": [], "capture_ms": []}
for line in open(manifest_path):
    rec = json.loads(line)
    if rec["type"] == "position":
        T[rec["position"]] = rec["T"]
        for phase, values in phases.items():
            values.append(max(node[phase] for node in rec["timings"].values()))
    elif rec["type"] == "frame":
        sensor.setdefault((rec["position"], rec["frame"]), []).append(rec["sensor_ts"])
order = sorted(T)
periods = [(T[b] - T[a]) / 1e6 for a, b in zip(order, order[1:])]
skews = [(max(v) - min(v)) / 1e3 for v in sensor.values() if len(v) > 1]

period = statistics.median(periods)
naive = statistics.median(naive_ms)
rows = [
    ("lockstep: one scan step, period between capture instants T (%d)" % len(periods),
     "%.1f ms" % period, "%.1f ms" % pct(periods, 99)),
    ("lockstep: whole scan step (srun to exit) / %d positions" % n, "%.1f ms" % (scan_ms / n),
     "(total %.2f s)" % (scan_ms / 1000)),
    ("naive: one `srun -N4 --mpi=pmix pmix_probe` step per position (%d)" % len(naive_ms),
     "%.1f ms" % naive, "%.1f ms" % pct(naive_ms, 99)),
    ("floor: one `srun -N4 true` step (%d)" % len(floor_ms), "%.1f ms" % statistics.median(floor_ms),
     "%.1f ms" % pct(floor_ms, 99)),
    ("ratio naive step / lockstep period", "%.1f" % (naive / period), ""),
    ("ratio naive step / lockstep whole-step share", "%.1f" % (naive / (scan_ms / n)), ""),
]
print("| what | median | p99 |")
print("| --- | ---: | ---: |")
for r in rows:
    print("| %s | %s | %s |" % r)
print()
print("lockstep's period by phase (per position, the slowest node; medians):")
print("| " + " | ".join(phases) + " | rest of the period |")
print("| ---: | ---: | ---: | ---: |")
medians = [statistics.median(v) for v in phases.values()]
print("| " + " | ".join("%.1f ms" % m for m in medians) + " | %.1f ms |" % (period - sum(medians)))
print()
print("capture skew across the 4 nodes (lockstep per position, naive per step):")
# The naive design's capture instants: each task's start, or its return from the fence.
naive_starts, naive_fences, step = {}, {}, None
for line in open(naive_log):
    f = line.split()
    if f[:1] == ["step"]:
        step = int(f[1])
    elif f[:1] == ["times"] and len(f) == 4:
        naive_starts.setdefault(step, []).append(int(f[2]))
        naive_fences.setdefault(step, []).append(int(f[3]))
spread = lambda d: [(max(v) - min(v)) / 1e3 for v in d.values() if len(v) == 4]
print("| design | p50 | p99 | max |")
print("| --- | ---: | ---: | ---: |")
print("| lockstep: max - min sensor_ts per position (%d) | %.0f us | %.0f us | %.0f us |"
      % (len(skews), pct(skews, 50), pct(skews, 99), max(skews)))
for name, d in (("naive, capture as each task starts", naive_starts),
                ("naive, capture when the fence returns", naive_fences)):
    s = spread(d)
    if s:
        print("| %s: max - min per step (%d) | %.0f us | %.0f us | %.0f us |"
              % (name, len(s), pct(s, 50), pct(s, 99), max(s)))
    else:
        print("| %s | no times in %s | | |" % (name, naive_log))
print()
print("(the period includes capture_margin_ms = %s ms, the lead time of each capture instant)" % margin_ms)
EOF
echo
echo "the scan against its physical schedule (exposure 1 ms, settle 0, no motion):"
naive_median=$(awk '$1 == "naive" { print $2 / 1000 }' "$RUN/times" | sort -n |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
python3 "$REPO/bench/common/schedule_figures.py" "$RUN/out/bench" 1000 0 --step-ms "$naive_median"
