# The job scripts of jobscripts/, run on the test cluster with the lockstep binary and the
# plugin, then lockstep-checks.sh. Sourced by run-cluster-tests.sh --suite jobscripts.
JOBSCRIPTS="$HERE/../../jobscripts"
export LOCKSTEP="$BIN/lockstep"
cp "$HERE/scan-cluster.yaml" "$RUN/scan.yaml"

check "hello.sbatch: every node answers with its PMIx rank, size, host, devices and clock offset"
run sbatch -W -o "$RUN/hello.out" "$JOBSCRIPTS/hello.sbatch"
rows=$(awk '$1 ~ /^[0-3]$/ { print $1, $2, $4 }' "$RUN/hello.out" 2>/dev/null | tr '\n' ' ')
expected="0 pi01 turntable,cam1 1 pi02 cam2 2 pi03 cam3 3 pi04 cam4 "
# One clock on this machine: rank 0's offset is 0 by definition, and the true offset of every
# other node (0) must lie within the interval the four-timestamp exchange gives (offset +/- the
# half round trip; 0.1 us of printing rounding allowed).
offsets=$(awk '$1 ~ /^[0-3]$/ { print $5 "+/-" $6 }' "$RUN/hello.out" 2>/dev/null | tr '\n' ' ')
offsets_ok=$(awk '$1 ~ /^[0-3]$/ { n++; o = $5 < 0 ? -$5 : $5
        if (($1 == 0 && $5 != 0) || o > $6 + 0.1 || $5 !~ /^-?[0-9]+[.][0-9]$/) bad++ }
    END { print (n == 4 && !bad) ? "yes" : "no" }' "$RUN/hello.out" 2>/dev/null)
if [ "$rc" -eq 0 ] && [ "$rows" = "$expected" ] && grep -q "^lockstep hello: 4 tasks" "$RUN/hello.out" &&
    grep -q "^clocks: any two differ by at most" "$RUN/hello.out" && [ "$offsets_ok" = yes ]; then
    pass "$rows; offsets (us): $offsets"
else
    fail "rc=$rc rows='$rows' offsets='$offsets': $out $(cat "$RUN/hello.out" 2>/dev/null)"
fi

check "hello with a skew bound of 0 us refuses: no real exchange is that certain"
run srun -N4 --mpi=pmix "$LOCKSTEP" hello --max-offset-us 0
if [ "$rc" -ne 0 ] && echo "$out" | grep -q "more than the skew bound of 0 us"; then
    pass "$(echo "$out" | grep -o 'clocks may differ by [0-9]* us')"
else
    fail "rc=$rc: $out"
fi

check "home.sbatch: placed by its --gres=stepper:1 on pi01, the only node with a stepper; homes it"
run sbatch -W -o "$RUN/home.out" "$JOBSCRIPTS/home.sbatch" "$RUN/rig.yaml" turntable
home_node=$(sed -n 's/^lockstep-home: homing turntable on //p' "$RUN/home.out" 2>/dev/null)
if [ "$rc" -eq 0 ] && grep -q "endstop found" "$RUN/home.out" && [ "$home_node" = pi01 ]; then
    pass "on $home_node: $(grep 'endstop found' "$RUN/home.out")"
else fail "rc=$rc node='$home_node': $out $(cat "$RUN/home.out" 2>/dev/null)"; fi

check "scan.sbatch: validate, a four-node scan under srun --mpi=pmix, verify"
run sbatch -W -o "$RUN/scan.out" "$JOBSCRIPTS/scan.sbatch" "$RUN/scan.yaml" "$RUN/rig.yaml" "$RUN/scan-out"
if [ "$rc" -eq 0 ]; then pass "$(tail -n 1 "$RUN/scan.out")"; else
    fail "rc=$rc: $out $(cat "$RUN/scan.out" 2>/dev/null)"
fi

check "timelapse.sbatch: two runs of the scan on a 6 s schedule, each complete and verified"
rm -rf "$RUN/timelapse-out"
run sbatch -W -o "$RUN/timelapse.out" "$JOBSCRIPTS/timelapse.sbatch" "$RUN/scan.yaml" "$RUN/rig.yaml" \
    "$RUN/timelapse-out" 2 6
verified=0
for dir in "$RUN/timelapse-out/run-0001" "$RUN/timelapse-out/run-0002"; do
    "$BIN/lockstep" verify "$dir" >>"$RUN/timelapse.out" 2>&1 && verified=$((verified + 1))
done
# The cadence: each run's scan.json records when it started (CLOCK_REALTIME, ns).
gap_ms=$(python3 -c '
import json, sys
t = [json.load(open(f))["started_realtime_ns"] for f in sys.argv[1:]]
print((t[1] - t[0]) // 1000000)' "$RUN"/timelapse-out/run-000[12]/cluster/scan.json 2>/dev/null || echo none)
# Runs start on slots k * 6 s after the first (a run longer than 6 s skips a slot); srun's own
# start-up varies, so allow a second either side of a slot.
on_slot=no
if [ "$gap_ms" != none ] && [ "$gap_ms" -ge 5000 ] && [ "$gap_ms" -lt 40000 ]; then
    r=$((gap_ms % 6000))
    if [ "$r" -le 1000 ] || [ "$r" -ge 5000 ]; then on_slot=yes; fi
fi
if [ "$rc" -eq 0 ] && [ "$verified" -eq 2 ] && [ "$on_slot" = yes ]; then
    pass "2 runs verified, started $gap_ms ms apart ($(grep -c 'slot .* skipped' "$RUN/timelapse.out") slot(s) skipped)"
else
    fail "rc=$rc, $verified of 2 runs verified, starts $gap_ms ms apart: $out $(cat "$RUN/timelapse.out" 2>/dev/null)"
fi

. "$HERE/lockstep-checks.sh"
