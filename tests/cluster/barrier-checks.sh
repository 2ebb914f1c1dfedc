# The coordinator's barrier test (tests/integration/barrier) across the four nodes under Slurm's
# PMIx server, where a fence without PMIX_COLLECT_DATA would not wait (under Slurm 22.05).
# Sourced by base-checks.sh when run-cluster-tests.sh got --barrier.
check "the barrier test under srun -N4 --mpi=pmix: every rank waits for the one that sleeps 2 s"
# -l: each line carries its rank. The sanitizer build needs libpmix's leak suppressions, which
# srun passes on with the rest of the environment.
run env LSAN_OPTIONS="suppressions=$HERE/../integration/barrier/pmix-leaks.supp" \
    srun -N4 --ntasks-per-node=1 --mpi=pmix -l "$BIN/test_barrier" --log_level=message --color_output=no
# Boost.Test ends every rank's output with this line when all its test cases passed.
passed=$(echo "$out" | grep -c '^ *[0-3]: \*\*\* No errors detected$' || true)
waits=$(echo "$out" | grep 'fence, rank [0-9]* late: waited' | sed 's/^ *0: //' | paste -sd ';' -)
# Under Slurm the coordinator must have chosen the constant-cost pair of keys on every rank.
reused=$(echo "$out" | grep -c 'two keys, reused by epoch parity' || true)
if [ "$rc" -eq 0 ] && [ "$passed" -eq 4 ] && [ -n "$waits" ] && [ "$reused" -eq 4 ]; then
    pass "$waits; keys reused on $reused ranks"
else
    fail "rc=$rc, $passed of 4 ranks passed, $reused reused keys: $out"
fi
