# Slurm itself, PMIx across the nodes and the SPANK plugin. Sourced by run-cluster-tests.sh.
check "srun -N4 hostname answers from pi01, pi02, pi03 and pi04"
run srun -N4 hostname
hosts=$(echo "$out" | sort | tr '\n' ' ')
if [ "$rc" -eq 0 ] && [ "$hosts" = "pi01 pi02 pi03 pi04 " ]; then pass "$hosts"; else fail "rc=$rc: $out"; fi

check "srun -N4 --mpi=pmix: four PMIx ranks, one per node, see each other after a collecting fence"
run srun -N4 --mpi=pmix "$BIN/pmix_probe"
expected="rank 0/4 pi01 rank 1/4 pi02 rank 2/4 pi03 rank 3/4 pi04 "
got=$(echo "$out" | grep '^rank' | sort | tr '\n' ' ')
if [ "$rc" -eq 0 ] && [ "$got" = "$expected" ]; then pass; else fail "rc=$rc: $out"; fi

if [ -n "$barrier" ]; then
    . "$HERE/barrier-checks.sh"
else
    echo "SKIPPED barrier check: test_barrier is not built (it needs mpirun at configure time)"
fi

if [ -z "$plugin" ]; then
    echo "SKIPPED plugin checks: $no_plugin_reason"
else
    . "$HERE/plugin-checks.sh"
    . "$HERE/step-checks.sh"
    if [ -n "$users_ready" ]; then
        . "$HERE/user-checks.sh"
    else
        echo "SKIPPED checks as unprivileged users: useradd, runuser or getfacl is missing"
    fi
fi
