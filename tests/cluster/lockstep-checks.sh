# The lockstep binary's behaviour under Slurm that a user watches: progress in the job's Comment
# and a scancel in the middle of a move. Sourced by jobscripts-checks.sh (needs the plugin and
# the lockstep binary).
. "$HERE/enable.sh"
cp "$HERE/scan-progress.yaml" "$RUN/progress.yaml"

check "a running scan shows 'position k/N' in squeue's Comment column; then it completes and verifies"
rm -rf "$RUN/progress-out" "$RUN/comments"
run sbatch --parsable -o "$RUN/progress.out" "$JOBSCRIPTS/scan.sbatch" "$RUN/progress.yaml" "$RUN/rig.yaml" \
    "$RUN/progress-out"
job=$out
# Polls until the job has left the queue (up to 90 s); keeps every Comment seen while it ran.
i=0
while [ "$rc" -eq 0 ] && [ "$i" -lt 450 ]; do
    line=$(squeue -h -j "$job" -o "%T|%k" 2>/dev/null || true)
    [ -n "$line" ] || break
    case $line in RUNNING\|*) echo "${line#RUNNING|}" >>"$RUN/comments" ;; esac
    sleep 0.2
    i=$((i + 1))
done
state=$(scontrol -o show job "$job" 2>/dev/null | grep -o 'JobState=[A-Z]* .*ExitCode=[0-9:]*' |
    sed 's/ .*ExitCode=/ ExitCode=/')
seen=$(grep -E '^lockstep progress: position [0-9]+/10 ' "$RUN/comments" 2>/dev/null | uniq)
verify_rc=0
"$BIN/lockstep" verify "$RUN/progress-out" >"$RUN/progress-verify.out" 2>&1 || verify_rc=$?
if [ "$rc" -eq 0 ] && [ -n "$seen" ] && [ "$state" = "JobState=COMPLETED ExitCode=0:0" ] &&
    [ "$verify_rc" -eq 0 ]; then
    pass "seen: $(echo "$seen" | grep -o 'position [0-9]*/10' | uniq | tr '\n' ' ')then '$(tail -n 1 "$RUN/comments")'"
else
    fail "submit rc=$rc job=$job, $state, verify rc=$verify_rc; comments seen: $(sort -u "$RUN/comments" 2>/dev/null | tr '\n' ';')
$(cat "$RUN/progress.out" "$RUN/progress-verify.out" 2>/dev/null)"
fi

check "scancel during 'lockstep move': ENABLE is back at its safe level within one second"
rm -f "$RUN/move.out" "$RUN/move.job"
srun -w $MOTOR_NODE --lockstep=$MOTOR sh -c "echo \$SLURM_JOB_ID >$RUN/move.job;
    exec $BIN/lockstep move $MOTOR=700 --rig $RUN/rig.yaml" >"$RUN/move.out" 2>&1 &
srun_pid=$!
# Under way: lockstep has asserted ENABLE (up to 30 s to start). Its stdout is a file here,
# so what it prints arrives only at exit.
i=0
level_before=$(enable_level)
while [ "$level_before" != "$ENABLE_ON" ] && [ "$i" -lt 300 ]; do
    sleep 0.1
    level_before=$(enable_level)
    i=$((i + 1))
done
if [ "$level_before" = "$ENABLE_ON" ] && [ -s "$RUN/move.job" ]; then
    sleep 1 # a second into a move of several seconds
    level_before=$(enable_level)
    start=$(date +%s%N)
    scancel "$(cat "$RUN/move.job")"
    wait_enable_off "$start"
    wait "$srun_pid" 2>/dev/null || true
    if [ "$level_before" = "$ENABLE_ON" ] && [ "$level" = "$ENABLE_OFF" ] &&
        ! grep -q "move: completed" "$RUN/move.out"; then
        pass "ENABLE $level_before -> $level within $elapsed_ms ms of scancel; $(grep -h "^move:" "$RUN/move.out")"
    else fail "ENABLE was $level_before during the move, $level $elapsed_ms ms after scancel: $(cat "$RUN/move.out")"; fi
else
    kill "$srun_pid" 2>/dev/null || true
    wait "$srun_pid" 2>/dev/null || true
    fail "the move never got under way (ENABLE '$level_before'): $(cat "$RUN/move.out")"
fi
. "$HERE/camera-sync-checks.sh"
