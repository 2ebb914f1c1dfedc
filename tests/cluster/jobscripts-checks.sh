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

check "timelapse.sbatch overrunning its slots: the next run starts on the first slot after, and each skipped slot is reported"
# A 2 s interval, shorter than one run of this scan (checked below: otherwise the check proves
# nothing). The promise (the script's header, docs/slurm.md): runs start at first + k x INTERVAL,
# a run longer than the interval skips the slots it overran and says so, no run starts before
# the previous one ended, none later than the first slot after it.
rm -rf "$RUN/overrun-out"
run sbatch -W -o "$RUN/overrun.out" "$JOBSCRIPTS/timelapse.sbatch" "$RUN/scan.yaml" "$RUN/rig.yaml" \
    "$RUN/overrun-out" 2 2
# From the script's own lines (ms): when run 1 and run 2 were started and on which slots, and
# the slots it reported skipped; from run 1's files: when it wrote its last one (before verify
# writes anything). srun's start-up (seconds here) is outside these: only the script's clock.
timing=$(python3 -c '
import datetime, os, re, sys
out, run1 = sys.argv[1:]
text = open(out).read()
runs = {int(m[1]): (int(m[2]), datetime.datetime.fromisoformat(m[3]).timestamp() * 1000)
        for m in re.finditer(r"^timelapse: run (\d+) of 2 \(slot (\d+)\) into \S+ at (\S+)$", text, re.M)}
skipped = [int(s) for s in re.findall(r"^timelapse: run 1 overran its interval; slot (\d+) skipped$", text, re.M)]
end = max(os.stat(os.path.join(t, f)).st_mtime_ns for t, _, fs in os.walk(run1) for f in fs) / 1e6
(s1, t1), (s2, t2) = runs[1], runs[2]
ok = (s1 == 0 and len(skipped) >= 1 and skipped == list(range(1, len(skipped) + 1)) and
      s2 == len(skipped) + 1 and abs(t2 - t1 - s2 * 2000) <= 500 and t2 >= end and
      s2 * 2000 > end - t1 and end - t1 > 2000)
print("ok" if ok else "bad", "run 1 took %d ms to its last file; slots %s skipped; run 2 on slot %d, %d ms after run 1" %
      (end - t1, ",".join(map(str, skipped)) or "none", s2, t2 - t1))' "$RUN/overrun.out" "$RUN/overrun-out/run-0001" 2>&1 | tail -n 1)
verified=0
for dir in "$RUN/overrun-out/run-0001" "$RUN/overrun-out/run-0002"; do
    "$BIN/lockstep" verify "$dir" >>"$RUN/overrun.out" 2>&1 && verified=$((verified + 1))
done
if [ "$rc" -eq 0 ] && [ "$verified" -eq 2 ] && [ "${timing%% *}" = ok ]; then
    pass "${timing#ok }"
else
    fail "rc=$rc, $verified of 2 verified; $timing: $out $(cat "$RUN/overrun.out" 2>/dev/null)"
fi

. "$HERE/lockstep-checks.sh"
