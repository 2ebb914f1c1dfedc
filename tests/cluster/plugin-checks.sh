# The SPANK plugin's checks, sourced by run-cluster-tests.sh with the cluster up and
# rig-cluster-sim.yaml installed: pi01 drives the motor "turntable" (ENABLE active low), every
# node has one camera cam1..cam4.
. "$HERE/enable.sh"

# Waits (up to 30 s) for a file a job creates.
wait_for_file() {
    i=0
    while [ ! -e "$1" ] && [ "$i" -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ -e "$1" ]
}

check "the plugin is loaded by all four slurmd"
missing=
for n in pi01 pi02 pi03 pi04; do
    grep -q "lockstep: plugin loaded (rig=$RUN/rig.yaml" "$STATE/log/slurmd-$n.log" || missing="$missing $n"
done
if [ -z "$missing" ]; then pass; else fail "no 'plugin loaded' line in the slurmd log of:$missing"; fi

check "a bad --lockstep value makes sbatch fail at once, with the reason"
run sbatch --lockstep='cam1,no/such' --wrap true
if [ "$rc" -ne 0 ] && echo "$out" | grep -q "'no/such' is not a device name" &&
    ! echo "$out" | grep -q "Submitted batch job"; then
    pass "$(echo "$out" | head -n 1)"
else fail "rc=$rc: $out"; fi

check "a step gets LOCKSTEP_DEVICES, LOCKSTEP_NODE and LOCKSTEP_RIG for its node's devices"
run srun -N2 -w pi01,pi02 -l --lockstep=all sh -c 'echo "$LOCKSTEP_NODE [$LOCKSTEP_DEVICES] $LOCKSTEP_RIG"'
got=$(echo "$out" | sort | tr '\n' ' ')
expected="0: pi01 [$MOTOR,cam1] $RUN/rig.yaml 1: pi02 [cam2] $RUN/rig.yaml "
if [ "$rc" -eq 0 ] && [ "$got" = "$expected" ]; then pass "$got"; else fail "rc=$rc: $out"; fi

check "--lockstep given to sbatch reaches the job's srun steps"
run sbatch -W -w pi03 --lockstep=cameras -o "$RUN/inherit.out" --wrap 'srun printenv LOCKSTEP_DEVICES'
if [ "$rc" -eq 0 ] && [ "$(cat "$RUN/inherit.out" 2>/dev/null)" = cam3 ]; then pass; else
    fail "rc=$rc: $out / $(cat "$RUN/inherit.out" 2>/dev/null)"
fi

check "a device that is not in the rig file is refused"
run srun -w pi01 --lockstep=$MOTOR,lens9 true
if [ "$rc" -ne 0 ] && echo "$out" | grep -q "device 'lens9' is not in rig file"; then
    pass "$(echo "$out" | grep lens9 | head -n 1)"
else fail "rc=$rc: $out"; fi

check "a lock directory that is a symlink is refused"
ln -s "$LOCKS" "$RUN/locklink"
write_plugstack "$RUN/locklink"
run srun -w pi01 --lockstep=$MOTOR true
write_plugstack "$LOCKS"
if [ "$rc" -ne 0 ] && echo "$out" | grep -q "is a symlink"; then
    pass "$(echo "$out" | grep symlink | head -n 1)"
else fail "rc=$rc: $out"; fi

check "a second job asking for a held motor is refused, naming the holder; the first is unaffected"
rm -f "$RUN/first.started" "$RUN/first.release"
srun -w $MOTOR_NODE --lockstep=$MOTOR sh -c \
    "echo \$SLURM_JOB_ID >$RUN/first.started; while [ ! -e $RUN/first.release ]; do sleep 0.1; done" \
    >"$RUN/first.out" 2>&1 &
first_pid=$!
if wait_for_file "$RUN/first.started"; then
    first_job=$(cat "$RUN/first.started")
    run srun -w $MOTOR_NODE --lockstep=$MOTOR true
    touch "$RUN/first.release"
    first_rc=0
    wait "$first_pid" || first_rc=$?
    if [ "$rc" -ne 0 ] && echo "$out" | grep -q "$MOTOR on $MOTOR_NODE is in use by job $first_job (user root)" &&
        [ "$first_rc" -eq 0 ]; then
        pass "$(echo "$out" | grep 'in use' | head -n 1)"
    else fail "second rc=$rc, first rc=$first_rc: $out / $(cat "$RUN/first.out")"; fi
else
    kill "$first_pid" 2>/dev/null || true
    fail "the first job never started: $(cat "$RUN/first.out")"
fi

# Starts a job step on the motor node that holds the motor until $RUN/first.release appears.
hold_motor() {
    rm -f "$RUN/first.started" "$RUN/first.release"
    srun -w $MOTOR_NODE --lockstep=$MOTOR sh -c \
        "echo \$SLURM_JOB_ID >$RUN/first.started; while [ ! -e $RUN/first.release ]; do sleep 0.1; done" \
        >"$RUN/first.out" 2>&1 &
    first_pid=$!
    wait_for_file "$RUN/first.started"
}

check "conflict=wait: a second job waits for the held motor, runs once it is free, and slurmd logs the wait"
write_plugstack "$LOCKS" "conflict=wait wait_timeout=30"
if hold_motor; then
    rm -f "$RUN/second.ran"
    first_job=$(cat "$RUN/first.started")
    srun -w $MOTOR_NODE --lockstep=$MOTOR sh -c "echo \$SLURM_JOB_ID >$RUN/second.job; date +%s%N >$RUN/second.ran" >"$RUN/second.out" 2>&1 &
    second_pid=$!
    sleep 3
    early=no
    [ -e "$RUN/second.ran" ] && early=yes
    released=$(date +%s%N)
    touch "$RUN/first.release"
    first_rc=0 second_rc=0
    wait "$first_pid" || first_rc=$?
    wait "$second_pid" || second_rc=$?
    ran=$(cat "$RUN/second.ran" 2>/dev/null || echo 0)
    second_job=$(cat "$RUN/second.job" 2>/dev/null || echo none)
    # slurmd's log says that the second step waits and for whom; the first, which did not
    # wait, says nothing of the kind.
    waited_line=$(grep -h "lockstep: job $second_job step 0 waits for $MOTOR on $MOTOR_NODE, in use by job $first_job (user root), at most 30 s (conflict=wait)" \
        "$STATE/log/slurmd-$MOTOR_NODE.log" | head -n 1)
    if [ "$early" = no ] && [ "$first_rc" -eq 0 ] && [ "$second_rc" -eq 0 ] && [ "$ran" -ge "$released" ] &&
        [ -n "$waited_line" ] && ! grep -q "lockstep: job $first_job step 0 waits" "$STATE/log/slurmd-$MOTOR_NODE.log"; then
        pass "the second job ran $(((ran - released) / 1000000)) ms after the first let go"
        echo "  log: ${waited_line#*lockstep: }"
    else fail "early=$early first rc=$first_rc second rc=$second_rc: $(cat "$RUN/second.out" "$RUN/first.out");" \
        "slurmd: $(grep -h "lockstep: job \($first_job\|$second_job\) " "$STATE/log/slurmd-$MOTOR_NODE.log" | tr '\n' ' ')"; fi
else
    kill "$first_pid" 2>/dev/null || true
    fail "the first job never started: $(cat "$RUN/first.out")"
fi

check "conflict=wait: wait_timeout bounds the wait, and the message names the holder"
write_plugstack "$LOCKS" "conflict=wait wait_timeout=2"
if hold_motor; then
    first_job=$(cat "$RUN/first.started")
    run srun -w $MOTOR_NODE --lockstep=$MOTOR true
    touch "$RUN/first.release"
    first_rc=0
    wait "$first_pid" || first_rc=$?
    if [ "$rc" -ne 0 ] && [ "$first_rc" -eq 0 ] &&
        echo "$out" | grep -q "$MOTOR on $MOTOR_NODE is still in use by job $first_job (user root) after waiting 2 s (conflict=wait)"; then
        pass "$(echo "$out" | grep 'still in use' | head -n 1)"
    else fail "rc=$rc first rc=$first_rc: $out"; fi
else
    kill "$first_pid" 2>/dev/null || true
    fail "the first job never started: $(cat "$RUN/first.out")"
fi
write_plugstack "$LOCKS"

# Starts a step whose task asserts ENABLE and holds it, cancels the job with `scancel ARGS...`
# and checks that ENABLE is safe within one second and that slurmd logged the plugin doing it.
# sim_line --hold does no clean-up of its own: whatever ends it, only the plugin can release.
check_cancel_makes_enable_safe() { # SCANCEL_ARGS...
    rm -f "$RUN/enabled" "$RUN/job"
    srun -w $MOTOR_NODE --lockstep=$MOTOR sh -c \
        "echo \$SLURM_JOB_ID >$RUN/job; exec $BIN/sim_line $RUN/rig.yaml $MOTOR_NODE $MOTOR --hold" \
        >"$RUN/enabled" 2>&1 &
    srun_pid=$!
    i=0
    while ! grep -q enabled "$RUN/enabled" && [ "$i" -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if ! grep -q enabled "$RUN/enabled"; then
        kill "$srun_pid" 2>/dev/null || true
        fail "the job never asserted ENABLE: $(cat "$RUN/enabled")"
        return
    fi
    job=$(cat "$RUN/job")
    level_before=$(enable_level)
    start=$(date +%s%N)
    scancel "$@" "$job"
    wait_enable_off "$start"
    wait "$srun_pid" 2>/dev/null || true
    logged=
    i=0
    while [ -z "$logged" ] && [ "$i" -lt 50 ]; do
        logged=$(grep -h "\[$job\.0\] lockstep: motor $MOTOR: ENABLE .* driven inactive" \
            "$STATE/log/slurmd-$MOTOR_NODE.log" | head -n 1)
        [ -n "$logged" ] || sleep 0.1
        i=$((i + 1))
    done
    if [ "$level_before" = "$ENABLE_ON" ] && [ "$level" = "$ENABLE_OFF" ] && [ -n "$logged" ]; then
        pass "ENABLE $level_before -> $level within $elapsed_ms ms of scancel $*"
        echo "  log: $logged"
    else
        fail "ENABLE was $level_before while held, $level one second after scancel $*;" \
            "slurmd log line: ${logged:-none}"
    fi
}

check "scancel of a job whose task holds ENABLE asserted: ENABLE is safe within one second, logged"
check_cancel_makes_enable_safe

check "scancel -s KILL (no clean-up possible in the task): ENABLE is safe within one second, logged"
check_cancel_makes_enable_safe -s KILL
