# The job scripts of jobscripts/, run on the test cluster with the lockstep binary and the
# plugin, then lockstep-checks.sh. Sourced by run-cluster-tests.sh --suite jobscripts.
JOBSCRIPTS="$HERE/../../jobscripts"
export LOCKSTEP="$BIN/lockstep"
cp "$HERE/scan-cluster.yaml" "$RUN/scan.yaml"

check "hello.sbatch: every node answers with its PMIx rank, host and reserved devices"
run sbatch -W -o "$RUN/hello.out" "$JOBSCRIPTS/hello.sbatch"
rows=$(awk '$1 ~ /^[0-3]$/ { print $1, $2, $4 }' "$RUN/hello.out" 2>/dev/null | tr '\n' ' ')
expected="0 pi01 turntable,cam1 1 pi02 cam2 2 pi03 cam3 3 pi04 cam4 "
if [ "$rc" -eq 0 ] && [ "$rows" = "$expected" ]; then pass "$rows"; else
    fail "rc=$rc rows='$rows': $out $(cat "$RUN/hello.out" 2>/dev/null)"
fi

check "home.sbatch: homes the turntable on pi01 (the simulated endstop)"
run sbatch -W --nodelist=pi01 -o "$RUN/home.out" "$JOBSCRIPTS/home.sbatch" "$RUN/rig.yaml" turntable
if [ "$rc" -eq 0 ] && grep -q "endstop found" "$RUN/home.out"; then pass "$(grep 'endstop found' "$RUN/home.out")"; else
    fail "rc=$rc: $out $(cat "$RUN/home.out" 2>/dev/null)"
fi

check "scan.sbatch: validate, a four-node scan under srun --mpi=pmix, verify"
run sbatch -W -o "$RUN/scan.out" "$JOBSCRIPTS/scan.sbatch" "$RUN/scan.yaml" "$RUN/rig.yaml" "$RUN/scan-out"
if [ "$rc" -eq 0 ]; then pass "$(tail -n 1 "$RUN/scan.out")"; else
    fail "rc=$rc: $out $(cat "$RUN/scan.out" 2>/dev/null)"
fi

. "$HERE/lockstep-checks.sh"
