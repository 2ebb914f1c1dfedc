# The test rig's motor and a view of its ENABLE line, for the checks that stop a job while the
# motor is enabled. Sourced by plugin-checks.sh and lockstep-checks.sh; rig-cluster-sim.yaml has
# the motor "turntable" on pi01 with ENABLE active low.
MOTOR=turntable
MOTOR_NODE=pi01
ENABLE_ON=0
ENABLE_OFF=1
enable_level() { "$BIN/sim_line" "$RUN/rig.yaml" $MOTOR_NODE $MOTOR; }

# Polls ENABLE every 20 ms until it is at its safe level or one second has passed since START
# (date +%s%N). Leaves the last level read in $level and the time since START in $elapsed_ms.
wait_enable_off() { # START
    level=$(enable_level)
    elapsed_ms=$((($(date +%s%N) - $1) / 1000000))
    while [ "$level" != "$ENABLE_OFF" ] && [ "$elapsed_ms" -lt 1000 ]; do
        sleep 0.02
        level=$(enable_level)
        elapsed_ms=$((($(date +%s%N) - $1) / 1000000))
    done
}
