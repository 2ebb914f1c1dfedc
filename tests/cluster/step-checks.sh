# Which steps reserve, steps of one job against each other, and plugstack.conf arguments.
# Sourced by run-cluster-tests.sh (base suite) after plugin-checks.sh, as root, with
# rig-cluster-sim.yaml (the turntable on pi01). docs/slurm.md, "Which steps reserve".

# Steps of Slurm 22.05 that are not srun steps (slurm/slurm.h).
EXTERN_STEP=4294967292
BATCH_STEP=4294967291
INTERACTIVE_STEP=4294967290

# True if slurmd's log on NODE says that job JOB reserved anything in a step STEP.
reserved_in_step() { # NODE JOB STEP
    grep -q "lockstep: job $2 step $3 reserved" "$STATE/log/slurmd-$1.log"
}
# Waits (up to 20 s) until no job runs on NODE.
node_free() { # NODE
    i=0
    while [ -n "$(squeue -h -w "$1" -o %i)" ] && [ "$i" -lt 200 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}

# The verdict of a check that a step of a job holds nothing: passes (saying PASS_TEXT) if the step
# was SEEN (yes) running, another job's srun got the motor meanwhile (RC 0, OUT "got MOTOR") and
# slurmd logged no reservation for any of JOB's STEPs; fails with FAIL_TEXT and slurmd's lines.
held_nothing() { # PASS_TEXT FAIL_TEXT SEEN RC OUT JOB STEP...
    verdict_pass=$1 verdict_fail=$2 verdict_seen=$3 verdict_rc=$4 verdict_out=$5 verdict_job=$6
    shift 6
    verdict_ok=yes
    [ "$verdict_seen" = yes ] && [ "$verdict_rc" -eq 0 ] && [ "$verdict_out" = "got $MOTOR" ] || verdict_ok=no
    for verdict_step in "$@"; do
        ! reserved_in_step $MOTOR_NODE "$verdict_job" "$verdict_step" || verdict_ok=no
    done
    if [ "$verdict_ok" = yes ]; then
        pass "$verdict_pass"
    else
        fail "$verdict_fail" \
            "slurmd: $(grep "lockstep: job $verdict_job " "$STATE/log/slurmd-$MOTOR_NODE.log" | tr '\n' ' ')"
    fi
}

check "the extern step (PrologFlags=Contain) and the batch step of a job with --lockstep reserve nothing"
# The job holds pi01 (its extern step runs there from the start) and waits; meanwhile another
# job must get the turntable, and slurmd must log no reservation for either step. In Slurm
# 22.05 the extern step does not even receive the job's SPANK options (seen: with the plugin's
# step filter removed it still reserved nothing, while the interactive step did): this checks
# the promise, whichever of the two keeps it.
rm -f "$RUN/ext.started" "$RUN/ext.release"
run sbatch -w $MOTOR_NODE -n1 --lockstep=$MOTOR -o "$RUN/ext.out" --wrap \
    "echo \$SLURM_JOB_ID >$RUN/ext.started; while [ ! -e $RUN/ext.release ]; do sleep 0.1; done"
ext_job=$(echo "$out" | sed -n 's/^Submitted batch job //p')
if [ -n "$ext_job" ] && wait_for_file "$RUN/ext.started"; then
    # The extern step exists on the node (Slurm starts it before the batch step).
    extern_seen=no
    pgrep -f "slurmstepd: \[$ext_job\.extern\]" >/dev/null && extern_seen=yes
    run srun -w $MOTOR_NODE --lockstep=$MOTOR sh -c 'echo "got $LOCKSTEP_DEVICES"'
    other_rc=$rc other_out=$out
    touch "$RUN/ext.release"
    node_free $MOTOR_NODE
    held_nothing "job $ext_job's extern and batch steps ran and held nothing; another job got $MOTOR meanwhile" \
        "extern step seen: $extern_seen; the other job rc=$other_rc: $other_out;" \
        "$extern_seen" "$other_rc" "$other_out" "$ext_job" $EXTERN_STEP $BATCH_STEP
else
    touch "$RUN/ext.release"
    fail "the job never started: $out $(cat "$RUN/ext.out" 2>/dev/null)"
fi

check "the interactive step (salloc with LaunchParameters=use_interactive_step) reserves nothing"
# salloc starts the interactive step (srun --interactive --pty $SHELL) on pi01; its shell reads
# these commands from the terminal that script(1) gives salloc. While it waits, an srun step of
# the same job and another job both get the turntable.
rm -f "$RUN/ia.started" "$RUN/ia.release" "$RUN/ia.step"
if command -v script >/dev/null; then
    {
        echo "echo \$SLURM_JOB_ID >$RUN/ia.started"
        echo "srun --overlap -n1 --lockstep=$MOTOR sh -c 'echo \$LOCKSTEP_DEVICES' >$RUN/ia.step 2>&1"
        echo "while [ ! -e $RUN/ia.release ]; do sleep 0.1; done; exit"
        # Keeps the terminal open until the check is over (and no longer: it would hold the
        # cluster lock of whoever runs the suite under flock).
        while [ ! -e "$RUN/ia.release" ]; do sleep 0.2; done
        sleep 1
    # SHELL is set because salloc's interactive step runs "srun --pty $SHELL": where the suite
    # runs without one (CI starts it from a service, not a login), srun gets no command at all.
    } | SHELL=/bin/sh timeout 120 script -qec "salloc -w $MOTOR_NODE -n1 --lockstep=$MOTOR" /dev/null \
        >"$RUN/ia.out" 2>&1 &
    ia_pid=$!
    if wait_for_file "$RUN/ia.started"; then
        ia_job=$(tr -d '\r' <"$RUN/ia.started")
        i=0
        while ! grep -q . "$RUN/ia.step" 2>/dev/null && [ "$i" -lt 300 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        ia_step=$(tr -d '\r' <"$RUN/ia.step" 2>/dev/null)
        interactive_seen=no
        pgrep -f "slurmstepd: \[$ia_job\.interactive\]" >/dev/null && interactive_seen=yes
        run srun -w $MOTOR_NODE --lockstep=$MOTOR sh -c 'echo "got $LOCKSTEP_DEVICES"'
        touch "$RUN/ia.release"
        kill "$ia_pid" 2>/dev/null || true
        wait "$ia_pid" 2>/dev/null || true
        scancel "$ia_job" 2>/dev/null || true
        node_free $MOTOR_NODE
        [ "$ia_step" = "$MOTOR" ] || interactive_seen="$interactive_seen, but its srun step got '$ia_step'"
        held_nothing "job $ia_job's interactive step held nothing: its srun step and another job got $MOTOR" \
            "interactive step seen: $interactive_seen; another job rc=$rc: $out;" \
            "$interactive_seen" "$rc" "$out" "$ia_job" $INTERACTIVE_STEP
    else
        touch "$RUN/ia.release"
        kill "$ia_pid" 2>/dev/null || true
        fail "the interactive step never started: $(cat "$RUN/ia.out")"
    fi
else
    echo "SKIPPED interactive step check: script(1) (util-linux) is not installed"
fi

# A job of two tasks on the motor node whose batch script runs two steps at once, both asking
# for the turntable: step 0 holds it until $RUN/two.release; the script then starts step 1.
# Prints "second rc=N" and step 1's output into $RUN/two.out.
two_steps_job() { # EXTRA_SCRIPT_BEFORE_RELEASE
    rm -f "$RUN/two.started" "$RUN/two.release" "$RUN/two.out"
    run sbatch -W -w $MOTOR_NODE -n2 --lockstep=$MOTOR -o "$RUN/two.out" --wrap "
srun -n1 --exact sh -c 'echo \$SLURM_STEP_ID >$RUN/two.started; while [ ! -e $RUN/two.release ]; do sleep 0.1; done' &
while [ ! -e $RUN/two.started ]; do sleep 0.1; done
$1
touch $RUN/two.release
wait"
}

check "two concurrent steps of one job asking for the turntable: the second is refused, naming the first"
two_steps_job "srun -n1 --exact true; echo second rc=\$?"
if [ "$rc" -eq 0 ] && grep -q "second rc=[1-9]" "$RUN/two.out" &&
    grep -q "$MOTOR on $MOTOR_NODE is in use by step 0 of the same job" "$RUN/two.out"; then
    pass "$(grep 'in use' "$RUN/two.out" | head -n 1)"
else fail "rc=$rc: $out $(cat "$RUN/two.out" 2>/dev/null)"; fi

check "conflict=wait: the second of two concurrent steps of one job waits for the first, then runs"
write_plugstack "$LOCKS" "conflict=wait wait_timeout=30"
# Step 1 starts, and must not run before step 0 lets go 3 s later.
two_steps_job "srun -n1 --exact sh -c 'date +%s%N >$RUN/two.ran' & sleep 3; date +%s%N >$RUN/two.released; [ -e $RUN/two.ran ] && echo early"
write_plugstack "$LOCKS"
ran=$(cat "$RUN/two.ran" 2>/dev/null || echo 0)
released=$(cat "$RUN/two.released" 2>/dev/null || echo 0)
if [ "$rc" -eq 0 ] && ! grep -q early "$RUN/two.out" && [ "$ran" -ge "$released" ] && [ "$released" -gt 0 ]; then
    pass "step 1 ran $(((ran - released) / 1000000)) ms after step 0 let go"
else fail "rc=$rc: $out $(cat "$RUN/two.out" 2>/dev/null); ran $ran, released $released"; fi
rm -f "$RUN/two.ran" "$RUN/two.released"

# plugstack.conf is strict: a typo must not silently switch locking off or change it.
check_bad_plugstack() { # ARGUMENTS EXPECTED_MESSAGE
    write_plugstack "$LOCKS" "$1"
    rm -f "$RUN/bad.ran"
    run srun -w $MOTOR_NODE --lockstep=$MOTOR touch "$RUN/bad.ran"
    srun_rc=$rc srun_out=$out
    run sbatch -w $MOTOR_NODE --wrap "touch $RUN/bad.ran"
    write_plugstack "$LOCKS"
    if [ "$srun_rc" -ne 0 ] && echo "$srun_out" | grep -qF "lockstep: $2" &&
        [ "$rc" -ne 0 ] && echo "$out" | grep -qF "lockstep: $2" &&
        ! echo "$out" | grep -q "Submitted batch job" && [ ! -e "$RUN/bad.ran" ]; then
        pass "$(echo "$srun_out" | grep -F "$2" | head -n 1)"
    else fail "srun rc=$srun_rc: $srun_out / sbatch rc=$rc: $out; ran: $([ -e "$RUN/bad.ran" ] && echo yes || echo no)"; fi
}

check "plugstack.conf with an unknown argument: srun and sbatch fail at once, saying which, and nothing runs"
check_bad_plugstack "conflict=refuse colour=blue" \
    "plugstack.conf: unknown argument 'colour' (known: rig, lockdir, conflict, wait_timeout, motor_gres, camera_gres)"

check "plugstack.conf with an argument given twice: srun and sbatch fail at once, saying which, and nothing runs"
check_bad_plugstack "conflict=refuse conflict=wait" \
    "plugstack.conf: argument 'conflict' is given twice (one value per key)"
