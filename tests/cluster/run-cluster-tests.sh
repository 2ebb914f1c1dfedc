#!/bin/sh
# Brings the four-node test cluster up (cluster.sh), runs lockstep's Slurm checks against it and
# brings it down again, whatever happens. Exit 0: all passed; 1: a check failed; 77: skipped
# (printed why).
#
#   run-cluster-tests.sh --probe PMIX_PROBE --sim-line SIM_LINE --gpio-standin GPIO_STANDIN
#                        (--plugin SO | --no-plugin WHY)
#                        [--suite base|jobscripts] [--lockstep LOCKSTEP_BINARY]
#                        [--barrier TEST_BARRIER]
# base: Slurm, PMIx, the coordinator's barrier test (with --barrier) and the plugin's checks,
# also as two unprivileged users this script creates (lstest-alice, lstest-bob; removed at the
# end) against a stand-in GPIO chip on pi04 (see rig-cluster-users.yaml and cluster.sh).
# jobscripts: jobscripts/*.sbatch, progress in squeue and scancel during a move, with the
# lockstep binary (needs --plugin and --lockstep).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CLUSTER="$HERE/cluster.sh"
STATE=${LOCKSTEP_CLUSTER_STATE:-/var/lib/lockstep-test-cluster}
SHARED=${LOCKSTEP_CLUSTER_SHARED:-/srv/lockstep-test}
export LOCKSTEP_CLUSTER_STATE="$STATE" LOCKSTEP_CLUSTER_SHARED="$SHARED"

skip() {
    echo "SKIPPED: $*"
    exit 77
}

probe= sim_line= gpio_standin= plugin= no_plugin_reason= suite=base lockstep= barrier=
while [ $# -gt 0 ]; do
    case $1 in
    --probe) probe=$2 ;;
    --sim-line) sim_line=$2 ;;
    --gpio-standin) gpio_standin=$2 ;;
    --plugin) plugin=$2 ;;
    --no-plugin) no_plugin_reason=$2 ;;
    --suite) suite=$2 ;;
    --lockstep) lockstep=$2 ;;
    --barrier) barrier=$2 ;;
    *)
        echo "unknown argument: $1" >&2
        exit 2
        ;;
    esac
    shift 2
done

[ "$(id -u)" -eq 0 ] || skip "the cluster test needs root (network namespaces, daemons); run 'ctest -L cluster' as root"
for tool in slurmctld slurmd srun sbatch munged ip nsenter unshare; do
    command -v "$tool" >/dev/null || skip "$tool is not installed; run scripts/install-deps.sh"
done
if [ "$suite" = jobscripts ]; then
    [ -n "$plugin" ] || skip "the job scripts need the plugin: $no_plugin_reason"
    [ -n "$lockstep" ] || skip "the job scripts need the lockstep binary"
fi

# Everything a job touches lives in the shared directory (each node has a private /tmp).
RUN="$SHARED/run"
BIN="$RUN/bin"
LOCKS="$STATE/locks"
rm -rf "$RUN"
mkdir -p "$BIN" "$RUN/sim"
cp "$probe" "$BIN/pmix_probe"
cp "$sim_line" "$BIN/sim_line"
[ -z "$gpio_standin" ] || cp "$gpio_standin" "$BIN/gpio_standin"
cp "$HERE/rig-cluster-sim.yaml" "$RUN/rig.yaml"
RIG=$RUN/rig.yaml

write_plugstack() { # LOCKDIR [CONFLICT OPTIONS]
    if [ -n "$plugin" ]; then
        echo "required $BIN/spank_lockstep.so rig=$RIG lockdir=$1 ${2:-conflict=refuse}"
    fi >"$RUN/plugstack.conf"
    # slurmstepd, srun and sbatch re-read it for every job; slurmd reads it when it starts.
    if [ -d "$STATE" ]; then cp "$RUN/plugstack.conf" "$STATE/plugstack.conf"; fi
}
if [ -n "$plugin" ]; then
    cp "$plugin" "$BIN/spank_lockstep.so"
fi
if [ -n "$lockstep" ]; then
    cp "$lockstep" "$BIN/lockstep"
fi
if [ -n "$barrier" ]; then
    cp "$barrier" "$BIN/test_barrier"
fi
write_plugstack "$LOCKS"

# The unprivileged users' checks: two users, a stand-in GPIO chip on pi04 (a node of /dev/full's
# number, 1:7, which cluster.sh shows as a gpio device inside the nodes and whose GPIO ioctls
# gpio_standin answers for pi04's slurmd and everything it starts), and a directory users may
# write to. Users are removed again at the end, whatever happens.
USERS="lstest-alice lstest-bob"
FAKE_CHIP=1:7
fake_args=
remove_users() {
    for u in $USERS; do
        id "$u" >/dev/null 2>&1 || continue
        # Whatever of theirs is left (a check that failed half-way): userdel refuses otherwise.
        for pid in $(pgrep -u "$u"); do kill -9 "$pid" 2>/dev/null || true; done
        sleep 0.2
        userdel "$u" 2>/dev/null || echo "warning: could not remove the test user $u" >&2
    done
}
users_ready=
if [ "$suite" = base ] && [ -n "$plugin" ] && [ -z "$gpio_standin" ]; then
    echo "SKIPPED (unprivileged users' checks): no --gpio-standin given"
elif [ "$suite" = base ] && [ -n "$plugin" ]; then
    if command -v useradd >/dev/null && command -v runuser >/dev/null && command -v getfacl >/dev/null; then
        for u in $USERS; do
            id "$u" >/dev/null 2>&1 || useradd -M -N -r -s /bin/sh "$u"
        done
        rm -rf "$SHARED/dev"
        mkdir -p "$SHARED/dev" "$RUN/u"
        chmod 1777 "$RUN/u"
        mknod -m 0600 "$SHARED/dev/gpiochip-fake" c "${FAKE_CHIP%:*}" "${FAKE_CHIP#*:}"
        cp "$HERE/rig-cluster-users.yaml" "$RUN/rig-users.yaml"
        fake_args="--fake-gpiochip $FAKE_CHIP --gpio-standin $BIN/gpio_standin"
        users_ready=yes
    fi
fi

# Background steps of a check that failed half-way would otherwise keep srun (and this
# script's lock, for whoever runs it under flock) alive.
kill_background() { for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done; }
trap 'kill_background; "$CLUSTER" down; remove_users' EXIT
trap 'exit 1' INT TERM
# shellcheck disable=SC2086
"$CLUSTER" up --plugstack "$RUN/plugstack.conf" $fake_args
eval "$("$CLUSTER" env)"
cd "$RUN"

failures=0
check() { echo "check: $*"; }
pass() { echo "  ok${1:+: $1}"; }
fail() {
    echo "  FAIL: $*"
    failures=$((failures + 1))
}
# Runs a command with a time limit, output (both streams) into $out, status into $rc. srun's
# notes that a job waited for nodes still finishing the previous job are dropped.
run() {
    rc=0
    timeout 60 "$@" >"$RUN/run.out" 2>&1 || rc=$?
    out=$(grep -v '^srun: job [0-9]* \(queued and waiting\|has been allocated\)' "$RUN/run.out" || true)
}

case $suite in
base | jobscripts) . "$HERE/$suite-checks.sh" ;;
*)
    echo "unknown suite: $suite" >&2
    exit 2
    ;;
esac

trap - EXIT
remove_users
check "tear-down leaves no daemon, node process, namespace, veth or bridge behind"
if down_out=$("$CLUSTER" down 2>&1); then pass "$(echo "$down_out" | tail -n 1)"; else fail "$down_out"; fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed; logs:"
    for f in "$STATE"/log/*.log; do
        echo "===== $f (last 20 lines)"
        tail -n 20 "$f"
    done
    exit 1
fi
echo "all cluster checks passed"
