# The plugin's guarantees checked as unprivileged users, sourced by run-cluster-tests.sh (base
# suite) after plugin-checks.sh, with the users lstest-alice and lstest-bob created and
# rig-cluster-users.yaml installed as $RUN/rig-users.yaml: the simulated turntable on pi01, and
# axis1, axis2 on pi04's stand-in GPIO chip $CHIP (a mknod node 0600 root of /dev/full's number
# 1:7, shown as a gpio device in the nodes' /sys/dev/char; gpio_standin answers its GPIO ioctls
# for pi04's slurmd and everything it starts, as the kernel's uAPI v2 would, and records every
# line's level in $STATE/gpio-pi04.levels).
ALICE=lstest-alice
BOB=lstest-bob
CHIP=$SHARED/dev/gpiochip-fake
U=$RUN/u
echo "stand-in: $CHIP ($FAKE_CHIP, /dev/full's number) is the GPIO chip of pi04, its GPIO ioctls answered by gpio_standin (this machine has no GPIO chip, nor gpio-sim)"

RIG=$RUN/rig-users.yaml
write_plugstack "$LOCKS"
# The simulated line state is shared with the users' jobs.
chmod -R a+rwX "$RUN/sim"

as_user() { # USER COMMAND...
    u=$1
    shift
    runuser -u "$u" -- "$@"
}
acl_of() { getfacl -cp "$1" 2>/dev/null | grep '^user:[^:]' | tr '\n' ' '; }
node_reason() { sinfo -h -n "$1" -o '%E'; }
node_state() { sinfo -h -n "$1" -o '%T'; }
# What an administrator does once the hardware is checked (docs/slurm.md).
clear_unsafe() { # NODE DEVICE
    rm -f "$LOCKS/$1.$2.unsafe"
    scontrol update NodeName="$1" State=RESUME >/dev/null 2>&1 || true
}
# Waits (up to 20 s) until no job runs on NODE and its epilog is done.
wait_node_quiet() { # NODE
    i=0
    while [ "$i" -lt 200 ]; do
        if [ -z "$(squeue -h -w "$1" -o %i)" ] && ! node_state "$1" | grep -q completing; then
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
# Starts `srun ARGS... sh -c 'touch STARTED; wait for RELEASE'` as USER in the background;
# $held_pid is srun's pid. True once the task started.
hold_as() { # USER NAME SRUN_ARGS...
    who=$1 name=$2
    shift 2
    rm -f "$U/$name.started" "$U/$name.release"
    as_user "$who" srun "$@" sh -c \
        "echo \$SLURM_JOB_ID >$U/$name.started; while [ ! -e $U/$name.release ]; do sleep 0.1; done" \
        >"$U/$name.out" 2>&1 &
    held_pid=$!
    wait_for_file "$U/$name.started"
}
release() { # NAME
    touch "$U/$1.release"
    held_rc=0
    wait "$held_pid" || held_rc=$?
}

check "users: lock directory 0700 and lock files 0600, so another user cannot hold a device's lock (EACCES)"
run runuser -u $BOB -- flock -n "$LOCKS/$MOTOR_NODE.$MOTOR.lock" true
modes=$(stat -c '%a' "$LOCKS" "$LOCKS/$MOTOR_NODE.$MOTOR.lock" | tr '\n' ' ')
if [ "$rc" -ne 0 ] && echo "$out" | grep -q "Permission denied" && [ "$modes" = "700 600 " ]; then
    pass "modes $modes; $BOB: $(echo "$out" | head -n 1)"
else fail "rc=$rc modes=$modes: $out"; fi

check "users: a step of $ALICE holds $MOTOR; $BOB asking for it is refused, naming her"
if hold_as $ALICE alice -w $MOTOR_NODE --lockstep=$MOTOR; then
    job=$(cat "$U/alice.started")
    run runuser -u $BOB -- srun -w $MOTOR_NODE --lockstep=$MOTOR true
    release alice
    if [ "$rc" -ne 0 ] && [ "$held_rc" -eq 0 ] &&
        echo "$out" | grep -q "$MOTOR on $MOTOR_NODE is in use by job $job (user $ALICE)"; then
        pass "$(echo "$out" | grep 'in use' | head -n 1)"
    else fail "rc=$rc alice rc=$held_rc: $out / $(cat "$U/alice.out")"; fi
else
    release alice
    fail "$ALICE's step never started: $(cat "$U/alice.out")"
fi

levels_file=$STATE/gpio-pi04.levels
# GPIO line OFFSET as the stand-in chip last saw it: "<level> <in|out> <consumer>".
line_state() { awk -v o="$1" '$1 == o { print $2, $3, $4 }' "$levels_file" 2>/dev/null; }
# Waits (up to 30 s) for FILE to contain "enabled" (sim_line --hold asserted ENABLE).
wait_enabled() { # FILE
    i=0
    while ! grep -q enabled "$1" 2>/dev/null && [ "$i" -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    grep -q enabled "$1" 2>/dev/null
}
job_of_step() { # NODE MOTOR: the job id of the last step that reserved MOTOR on NODE
    grep -h "job [0-9]* step 0 reserved \[$2\]" "$STATE/log/slurmd-$1.log" | tail -n 1 | sed 's/.*job \([0-9]*\) step.*/\1/'
}

check "users: $ALICE's step for axis1 gets exactly axis1's lines (an inherited line request), cannot open the chip nor reach axis2's lines, and drives ENABLE through it"
rm -f "$U/lines.out" "$U/lines.env" "$U/lines.chip" "$U/lines.other"
as_user $ALICE srun -w pi04 --lockstep=axis1 sh -c "
    echo \"\$LOCKSTEP_GPIO_FD\" >$U/lines.env
    (exec 3<>$CHIP) 2>$U/lines.chip && echo opened >>$U/lines.chip
    $BIN/sim_line $RIG pi04 axis2 --hold >$U/lines.other 2>&1
    exec $BIN/sim_line $RIG pi04 axis1 --hold" >"$U/lines.out" 2>&1 &
lines_srun=$!
if wait_enabled "$U/lines.out"; then
    job=$(job_of_step pi04 axis1)
    during=$(line_state 13)
    acl_during=$(acl_of "$CHIP")
    # Lines of another motor of the same chip are another reservation: another user may have them.
    run runuser -u $BOB -- srun -w pi04 --lockstep=axis2 sh -c 'echo "$LOCKSTEP_GPIO_FD"'
    bob_rc=$rc bob_out=$out
    run runuser -u $BOB -- srun -w pi04 --lockstep=axis1 true
    scancel "$job"
    wait "$lines_srun" 2>/dev/null || true
    wait_node_quiet pi04 || true
    after=$(line_state 13)
    # task_exit drove it through the step's own request; the step's end requested it anew.
    logged=$(grep -h "\[$job\.0\] lockstep: motor axis1: ENABLE (GPIO 13) driven inactive (level 1) through the step's line request" "$STATE/log/slurmd-pi04.log" | head -n 1)
    if grep -Eqx '[0-9]+:v2:5,6,13' "$U/lines.env" && grep -q "Permission denied" "$U/lines.chip" &&
        ! grep -q opened "$U/lines.chip" &&
        grep -q "GPIO 19 is not one of the lines requested for this job step (5,6,13)" "$U/lines.other" &&
        [ "$during" = "0 out lockstep-job$job" ] && [ -z "$acl_during" ] &&
        [ "$bob_rc" -eq 0 ] && echo "$bob_out" | grep -Eqx '[0-9]+:v2:19,26,21' &&
        [ "$rc" -ne 0 ] && echo "$out" | grep -q "axis1 on pi04 is in use by job $job (user $ALICE)" &&
        [ "$after" = "1 out lockstep-safe" ] && [ -n "$logged" ] && [ ! -e "$LOCKS/pi04.axis1.unsafe" ]; then
        pass "LOCKSTEP_GPIO_FD=$(cat "$U/lines.env"); chip: $(head -n 1 "$U/lines.chip" | sed 's/.*: //'); axis2: $(head -n 1 "$U/lines.other" | cut -c1-90); GPIO 13 '$during' then '$after'; $BOB's axis2 step ran meanwhile; ${logged#*lockstep: }"
    else fail "env '$(cat "$U/lines.env")'; chip '$(cat "$U/lines.chip")'; axis2 '$(cat "$U/lines.other")'; GPIO 13 during '$during' after '$after'; ACL '$acl_during'; $BOB axis2 rc=$bob_rc '$bob_out', axis1 rc=$rc '$out'; log '$logged'; unsafe: $(cat "$LOCKS/pi04.axis1.unsafe" 2>/dev/null)"; fi
else
    kill "$lines_srun" 2>/dev/null || true
    fail "$ALICE's step never asserted ENABLE: $(cat "$U/lines.out"); env '$(cat "$U/lines.env" 2>/dev/null)'"
fi
wait_node_quiet pi04 || true

check "users: a process that escaped its step (setsid) still holding the step's line request is killed at the step's end and the motor marked unsafe"
rm -f "$U/lescape.out"
run runuser -u $ALICE -- srun -w pi04 --lockstep=axis1 sh -c \
    "setsid $BIN/sim_line $RIG pi04 axis1 --hold >$U/lescape.out 2>&1 </dev/null & sleep 2"
job=$(job_of_step pi04 axis1)
wait_node_quiet pi04 || true
mark=$(cat "$LOCKS/pi04.axis1.unsafe" 2>/dev/null || true)
escaped=$(pgrep -u $ALICE -f "sim_line $RIG pi04" || true)
if grep -q enabled "$U/lescape.out" && [ -z "$escaped" ] && [ "$(line_state 13)" = "1 out lockstep-safe" ] &&
    echo "$mark" | grep -q "(sim_line, uid $(id -u $ALICE)) of job $job still held the step's GPIO line request (end of job $job step 0): killed" &&
    node_reason pi04 | grep -q "lockstep: axis1 marked unsafe"; then
    pass "$mark"
else fail "rc=$rc: $out; escape: $(cat "$U/lescape.out"); GPIO 13 '$(line_state 13)'; left: '$escaped'; mark '$mark'; reason '$(node_reason pi04)'"; fi
for pid in $escaped; do kill -9 "$pid" 2>/dev/null || true; done
clear_unsafe pi04 axis1

check "users: ENABLE that cannot be driven inactive (a process kept the line with a cleaned environment): motor marked unsafe, node drained with the reason"
wait_node_quiet pi04 || true
run runuser -u $ALICE -- srun -w pi04 --lockstep=axis1 sh -c \
    "setsid env -i LOCKSTEP_GPIO_FD=\$LOCKSTEP_GPIO_FD $BIN/sim_line $RIG pi04 axis1 --hold >$U/clean.out 2>&1 </dev/null & sleep 2"
wait_node_quiet pi04 || true
mark=$(cat "$LOCKS/pi04.axis1.unsafe" 2>/dev/null || true)
reason=$(node_reason pi04)
logged=$(grep -h "lockstep: axis1 on pi04 is marked unsafe" "$STATE/log/slurmd-pi04.log" | tail -n 1)
if grep -q enabled "$U/clean.out" &&
    echo "$mark" | grep -q "motor axis1: ENABLE (GPIO 13) could not be driven inactive: cannot request GPIO lines 13 (uAPI v2): Device or resource busy" &&
    echo "$reason" | grep -q "lockstep: axis1 marked unsafe" && [ -n "$logged" ]; then
    pass "drained: $reason; mark: $mark"
else fail "clean: $(cat "$U/clean.out"); mark '$mark'; drain reason '$reason'; log '$logged'"; fi
for pid in $(pgrep -u $ALICE -f "sim_line $RIG pi04" || true); do kill -9 "$pid" 2>/dev/null || true; done

check "users: a device marked unsafe is refused (even on a resumed node) until an administrator removes the mark"
scontrol update NodeName=pi04 State=RESUME >/dev/null 2>&1 || true
run runuser -u $BOB -- srun -w pi04 --lockstep=axis1 true
refused=$out
rm -f "$LOCKS/pi04.axis1.unsafe"
run srun -w pi04 --lockstep=axis1 printenv LOCKSTEP_DEVICES
if echo "$refused" | grep -q "axis1 on pi04 is marked unsafe (.*). An administrator checks the hardware, then removes $LOCKS/pi04.axis1.unsafe and resumes the node" &&
    [ "$rc" -eq 0 ] && echo "$out" | grep -qx axis1; then
    pass "$(echo "$refused" | grep 'marked unsafe' | head -n 1 | cut -c1-160)...; after removing the mark the step ran"
else fail "refused: $refused / after clearing rc=$rc: $out"; fi
wait_node_quiet pi04 || true
clear_unsafe pi04 axis1

check "users: kill -9 of slurmstepd while $ALICE's task holds axis1's ENABLE asserted: the orphan keeps the line until the job's epilog kills it and drives ENABLE inactive; $BOB then gets axis1"
wait_node_quiet pi04 || true
rm -f "$U/lorphan.out"
as_user $ALICE srun -w pi04 --lockstep=axis1 sh -c "exec $BIN/sim_line $RIG pi04 axis1 --hold" >"$U/lorphan.out" 2>&1 &
lorphan_srun=$!
if wait_enabled "$U/lorphan.out"; then
    job=$(job_of_step pi04 axis1)
    held=$(line_state 13)
    holder=$(pgrep -u $ALICE -f "sim_line $RIG pi04" | head -n 1)
    kill -9 "$(pgrep -f "slurmstepd: \[$job\.0\]" | head -n 1)"
    sleep 1
    killed=$(line_state 13)
    scancel "$job"
    wait "$lorphan_srun" 2>/dev/null || true
    wait_node_quiet pi04 || true
    after=$(line_state 13)
    alive=no
    kill -0 "$holder" 2>/dev/null && alive=yes
    checked=$(grep -h "axis1 on pi04: job $job ended without releasing it" "$STATE/log/slurmd-pi04.log" | head -n 1)
    run runuser -u $BOB -- srun -w pi04 --lockstep=axis1 printenv LOCKSTEP_DEVICES
    if [ "$held" = "0 out lockstep-job$job" ] && [ "$killed" = "$held" ] && [ "$after" = "1 out lockstep-safe" ] &&
        [ "$alive" = no ] && [ -n "$checked" ] && [ "$rc" -eq 0 ] && echo "$out" | grep -qx axis1 &&
        [ ! -e "$LOCKS/pi04.axis1.unsafe" ]; then
        pass "GPIO 13 '$held', still '$killed' after slurmstepd died, '$after' after the epilog; ${checked#*lockstep: }; $BOB's step ran"
    else fail "GPIO 13 held '$held', after kill '$killed', after epilog '$after'; orphan alive=$alive; checked '$checked'; $BOB rc=$rc: $out; unsafe: $(cat "$LOCKS/pi04.axis1.unsafe" 2>/dev/null)"; fi
else
    kill "$lorphan_srun" 2>/dev/null || true
    fail "the step never asserted ENABLE: $(cat "$U/lorphan.out")"
fi
wait_node_quiet pi04 || true
clear_unsafe pi04 axis1

check "users: kill -9 of slurmstepd while its task holds ENABLE asserted: the orphan is killed and ENABLE safe before $BOB gets the motor"
rm -f "$U/orphan.job" "$U/orphan.out"
as_user $ALICE srun -w $MOTOR_NODE --lockstep=$MOTOR sh -c \
    "echo \$SLURM_JOB_ID >$U/orphan.job; exec $BIN/sim_line $RIG $MOTOR_NODE $MOTOR --hold" \
    >"$U/orphan.out" 2>&1 &
orphan_srun=$!
i=0
while ! grep -q enabled "$U/orphan.out" 2>/dev/null && [ "$i" -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
done
if grep -q enabled "$U/orphan.out"; then
    job=$(cat "$U/orphan.job")
    level_held=$(enable_level)
    holder=$(pgrep -u $ALICE -f "sim_line $RIG" | head -n 1)
    kill -9 "$(pgrep -f "slurmstepd: \[$job\.0\]" | head -n 1)"
    sleep 1
    level_killed=$(enable_level)
    scancel "$job"
    wait "$orphan_srun" 2>/dev/null || true
    wait_node_quiet $MOTOR_NODE || true
    level_after=$(enable_level)
    alive=no
    kill -0 "$holder" 2>/dev/null && alive=yes
    run runuser -u $BOB -- srun -w $MOTOR_NODE --lockstep=$MOTOR printenv LOCKSTEP_DEVICES
    if [ "$level_held" = "$ENABLE_ON" ] && [ "$level_killed" = "$ENABLE_ON" ] &&
        [ "$level_after" = "$ENABLE_OFF" ] && [ "$alive" = no ] && [ "$rc" -eq 0 ] && echo "$out" | grep -qx "$MOTOR" &&
        [ ! -e "$LOCKS/$MOTOR_NODE.$MOTOR.unsafe" ]; then
        pass "ENABLE $level_held, still $level_killed after slurmstepd died, $level_after after the epilog; $BOB's step ran"
    else fail "ENABLE held $level_held, after kill $level_killed, after epilog $level_after; orphan alive=$alive; $BOB rc=$rc: $out"; fi
else
    kill "$orphan_srun" 2>/dev/null || true
    fail "the step never asserted ENABLE: $(cat "$U/orphan.out")"
fi
wait_node_quiet $MOTOR_NODE || true

check "users: a process that escaped its step and keeps ENABLE asserted is killed and the motor marked unsafe"
rm -f "$U/escape.out"
run runuser -u $ALICE -- srun -w $MOTOR_NODE --lockstep=$MOTOR sh -c \
    "setsid $BIN/sim_line $RIG $MOTOR_NODE $MOTOR --hold >$U/escape.out 2>&1 </dev/null & sleep 2"
escape_job=$(grep -h "job [0-9]* step 0 reserved \[$MOTOR\]" "$STATE/log/slurmd-$MOTOR_NODE.log" | tail -n 1 | sed 's/.*job \([0-9]*\) step.*/\1/')
wait_node_quiet $MOTOR_NODE || true
level=$(enable_level)
mark=$(cat "$LOCKS/$MOTOR_NODE.$MOTOR.unsafe" 2>/dev/null || true)
escaped=$(pgrep -u $ALICE -f "sim_line $RIG" || true)
if grep -q enabled "$U/escape.out" && [ "$level" = "$ENABLE_OFF" ] && [ -z "$escaped" ] &&
    echo "$mark" | grep -q "(sim_line, uid $(id -u $ALICE)) of job $escape_job still held .*: killed" &&
    node_reason $MOTOR_NODE | grep -q "lockstep: $MOTOR marked unsafe"; then
    pass "$mark"
else fail "rc=$rc escape: $(cat "$U/escape.out"); ENABLE $level; left: '$escaped'; mark '$mark'; reason '$(node_reason $MOTOR_NODE)'"; fi
for pid in $escaped; do kill -9 "$pid" 2>/dev/null || true; done
clear_unsafe $MOTOR_NODE $MOTOR

check "users: a rig file that is group-writable makes every reservation fail, saying why"
chmod g+w "$RIG"
run runuser -u $ALICE -- srun -w $MOTOR_NODE --lockstep=$MOTOR true
chmod g-w "$RIG"
if [ "$rc" -ne 0 ] && echo "$out" | grep -q "rig file $RIG must be owned by root and writable only by root: refusing to trust it"; then
    pass "$(echo "$out" | grep 'rig file' | head -n 1)"
else fail "rc=$rc: $out"; fi

check "users: a rig naming /dev/null's device (1:3) as GPIO chip is refused and that node's ACL is left as it was"
# A decoy with /dev/null's number in the shared directory, not /dev/null itself: the plugin's
# check goes by the device number (/sys/dev/char), and a broken plugin must not be able to
# change a system file's ACL.
NULL_DECOY=$SHARED/dev/null-decoy
rm -f "$NULL_DECOY"
mknod -m 0600 "$NULL_DECOY" c 1 3
sed "s|gpio_chip: .*|gpio_chip: $NULL_DECOY|" "$RUN/rig-users.yaml" >"$RUN/rig-devnull.yaml"
RIG=$RUN/rig-devnull.yaml
write_plugstack "$LOCKS"
null_before=$(getfacl -cp "$NULL_DECOY" | tr '\n' ' ')
run runuser -u $ALICE -- srun -w pi04 --lockstep=axis1 true
null_after=$(getfacl -cp "$NULL_DECOY" | tr '\n' ' ')
RIG=$RUN/rig-users.yaml
write_plugstack "$LOCKS"
if [ "$rc" -ne 0 ] && echo "$out" | grep -q "cannot give access to $NULL_DECOY: device 1:3 is a mem device, not gpio" &&
    [ "$null_before" = "$null_after" ] && [ ! -e "$LOCKS/pi04.axis1.unsafe" ]; then
    pass "$(echo "$out" | grep 'null-decoy' | head -n 1)"
else fail "rc=$rc: $out; decoy ACL before '$null_before' after '$null_after'"; fi
rm -f "$NULL_DECOY"
wait_node_quiet pi04 || true

check "users: a newline or a 200 KB value in --lockstep is refused without forging or flooding slurmd's log"
log_size() { cat "$STATE"/log/slurmd-pi0*.log | wc -c; }
size_before=$(log_size)
forged=$(printf 'cam1\nlockstep: job 1 step 0 reserved [turntable] on pi01 (forged)')
run runuser -u $ALICE -- srun -w pi01 --lockstep="$forged" true
newline_rc=$rc newline_out=$out
# 200 KB cannot be one command-line argument (the kernel's limit is 128 KB): a job script's
# #SBATCH line carries it.
{
    echo '#!/bin/sh'
    printf '#SBATCH --lockstep='
    head -c 204800 /dev/zero | tr '\0' 'a'
    printf '\ntrue\n'
} >"$U/big.sbatch"
run runuser -u $ALICE -- sbatch -w pi01 -o /dev/null "$U/big.sbatch"
big_rc=$rc big_out=$out
# The same newline through the variable sbatch uses to hand options to steps: srun checks it
# too (and the nodes check again whatever reaches them).
run runuser -u $ALICE -- env "SLURM_SPANK__SLURM_SPANK_OPTION_lockstep_lockstep=$forged" srun -w pi01 true
env_rc=$rc env_out=$out
size_after=$(log_size)
if [ "$newline_rc" -ne 0 ] && [ "$big_rc" -ne 0 ] && [ "$env_rc" -ne 0 ] &&
    ! echo "$big_out" | grep -q "Submitted batch job" &&
    echo "$env_out" | grep -q 'cam1\\x0alockstep: .*control characters' &&
    echo "$newline_out" | grep -q 'cam1\\x0alockstep: .*control characters and non-ASCII bytes are not allowed' &&
    echo "$big_out" | grep -q "the value is 204800 bytes long, more than 1024" &&
    [ "$(echo "$big_out" | grep 'lockstep:' | head -n 1 | wc -c)" -lt 300 ] &&
    ! grep -q "^lockstep: job 1 step 0 reserved .*(forged)" "$STATE"/log/slurmd-pi0*.log &&
    [ $((size_after - size_before)) -lt 20000 ]; then
    pass "$(echo "$newline_out" | head -n 1 | cut -c1-120)...; $(echo "$big_out" | grep lockstep | head -n 1); slurmd logs grew $((size_after - size_before)) bytes"
else fail "newline rc=$newline_rc: $newline_out / 200 KB rc=$big_rc: $(echo "$big_out" | cut -c1-300) / env rc=$env_rc: $(echo "$env_out" | cut -c1-300); log grew $((size_after - size_before))"; fi

check "users: with motor_gres=/camera_gres= set, a job naming a motor without that GRES on the node is refused, saying so; with it, or with --lockstep=all, it runs"
# pi01 has Gres=camera:1,stepper:1 (cluster.sh). The tie is opt-in (docs/slurm.md), so the
# earlier checks, which name devices without asking for GRES, ran without it.
write_plugstack "$LOCKS" "conflict=refuse motor_gres=stepper camera_gres=camera"
run runuser -u $ALICE -- srun -w pi01 --lockstep=turntable sh -c "touch $U/gres.ran"
no_gres_rc=$rc no_gres_out=$out
run runuser -u $ALICE -- srun -w pi01 --lockstep=turntable,cam1 --gres=camera:1 true
camera_only_rc=$rc camera_only_out=$out
run runuser -u $ALICE -- srun -w pi01 --gres=stepper:1,camera:1 --lockstep=turntable,cam1 printenv LOCKSTEP_DEVICES
with_rc=$rc with_out=$out
run runuser -u $ALICE -- srun -w pi01 --lockstep=all printenv LOCKSTEP_DEVICES
all_rc=$rc all_out=$out
write_plugstack "$LOCKS"
if [ "$no_gres_rc" -ne 0 ] && [ ! -e "$U/gres.ran" ] &&
    echo "$no_gres_out" | grep -q "lockstep: --lockstep names the motor turntable on pi01, but the job holds 0 'stepper' GRES there, not 1 (ask for --gres=stepper:1 on this node, or use --lockstep=all)" &&
    [ "$camera_only_rc" -ne 0 ] && echo "$camera_only_out" | grep -q "holds 0 'stepper' GRES there" &&
    [ "$with_rc" -eq 0 ] && [ "$with_out" = "turntable,cam1" ] &&
    [ "$all_rc" -eq 0 ] && [ "$all_out" = "turntable,cam1" ]; then
    pass "$(echo "$no_gres_out" | grep 'GRES' | head -n 1)"
else
    fail "no GRES rc=$no_gres_rc: $no_gres_out / camera only rc=$camera_only_rc: $camera_only_out /" \
        "with rc=$with_rc: $with_out / all rc=$all_rc: $all_out"
fi
rm -f "$U/gres.ran"

check "users: with the GRES tie set, an srun inside a batch job reserves on every node it spans (the task's SLURMD_NODENAME is the batch node's, not its own)"
write_plugstack "$LOCKS" "conflict=refuse motor_gres=stepper camera_gres=camera"
printf '%s\n' '#!/bin/sh' 'srun -N2 --lockstep=all sh -c '"'"'echo "$(hostname) $LOCKSTEP_DEVICES"'"'" >"$U/span.sbatch"
chmod a+r "$U/span.sbatch"
run runuser -u $ALICE -- sbatch -W -N2 -w pi01,pi02 -o "$U/span.out" "$U/span.sbatch"
span_rc=$rc
span_out=$(cat "$U/span.out" 2>/dev/null)
write_plugstack "$LOCKS"
if [ "$span_rc" -eq 0 ] && echo "$span_out" | grep -q "^pi01 turntable,cam1$" &&
    echo "$span_out" | grep -q "^pi02 cam2"; then
    pass "$(echo "$span_out" | tr '\n' ';')"
else
    fail "sbatch rc=$span_rc: $out / $span_out"
fi
rm -f "$U/span.sbatch" "$U/span.out"

RIG=$RUN/rig.yaml
write_plugstack "$LOCKS"
