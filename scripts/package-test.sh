#!/bin/sh
# The .deb as a user gets it: built by cpack from a build directory, installed with apt-get on a
# fresh Debian 12 (the debootstrap'd system tests/ansible boots, cached, under a throw-away
# overlay), its dependencies fetched from the Debian archive by its Depends alone; then
# `lockstep --version` and `lockstep selftest` on the packaged simulated rig run there, and the
# plugin is where the packaged plugstack.conf names it.
#
#   scripts/package-test.sh BUILD_DIR    (as root)
set -eu
cd "$(dirname "$0")/.."
. ./scripts/debian-root.sh
build=$(cd "${1:?usage: package-test.sh BUILD_DIR}" && pwd)
say() { echo "package-test: $*"; }
if [ "$(id -u)" -ne 0 ]; then
    say "SKIPPED: needs root (debootstrap, chroot, mounts)"
    exit 0
fi
t0=$(date +%s)

(cd "$build" && cpack -G DEB >cpack.log 2>&1) || { say "FAIL: cpack: $(tail -n 20 "$build/cpack.log")"; exit 1; }
deb=$(sed -n 's/^CPack: - package: \(.*\) generated\.$/\1/p' "$build/cpack.log")
say "$(basename "$deb"): Depends: $(dpkg-deb -f "$deb" Depends)"
case " $(dpkg-deb -f "$deb" Depends | tr -d ',') " in
*" libcamera-ipa "*) ;;
*) say "FAIL: Depends lacks libcamera-ipa (no Pi camera starts without it)"; exit 1 ;;
esac

base=$(./tests/ansible/rootfs.sh --base)
# apt's downloads are kept between runs (they are not needed: a fresh machine fetches them).
archives=/var/cache/lockstep/package-test-archives
run=$(mktemp -d /var/tmp/lockstep-package.XXXXXX)
trap 'unmount_under "$run"; rm -rf "$run"' EXIT
mkdir -p "$archives/partial" "$run/upper" "$run/work" "$run/root"
cp "$deb" "$run/lockstep.deb"
mirror=$(debian_mirror)

# What runs in the root, as root: apt installs the .deb by its Depends alone, then the checks.
cat >"$run/inside.sh" <<'INSIDE'
set -eu
apt-get -qq update
apt-get -qq install -y --no-install-recommends /tmp/deb/lockstep.deb >/tmp/deb/apt.log 2>&1 ||
    { tail -n 30 /tmp/deb/apt.log; exit 1; }
echo "package-test: installed; lockstep --version: $(lockstep --version)"
plugin=$(awk '/^required/ { print $2 }' /usr/local/share/lockstep/examples/conf/slurm/plugstack.conf)
[ -f "$plugin" ] || { echo "package-test: FAIL: no plugin at $plugin"; exit 1; }
echo "package-test: plugin at $plugin, as plugstack.conf names it"
dpkg -s libcamera-ipa >/dev/null
cd /usr/local/share/lockstep/examples
# Its verdicts are this machine's (no time daemon in the root: the clock lines FAIL): it must run
# every check to its summary and exit with its worst line's status, not crash or refuse.
rc=0
lockstep selftest --rig conf/rig-turntable-sim.yaml --node pi01 >/tmp/deb/selftest.txt || rc=$?
cat /tmp/deb/selftest.txt
worst=0
if grep -q '^WARN ' /tmp/deb/selftest.txt; then worst=3; fi
if grep -q '^FAIL ' /tmp/deb/selftest.txt; then worst=1; fi
grep -q '^selftest: [0-9]* PASS' /tmp/deb/selftest.txt && [ "$rc" -eq "$worst" ] ||
    { echo "package-test: FAIL: selftest exited $rc (its worst line: $worst)"; exit 1; }
echo "package-test: selftest ran every check (exit status $rc, by its worst line)"
INSIDE

# One private mount namespace: the overlay, /proc, /sys, the deb and apt's cache; all go with it.
# shellcheck disable=SC2016 # expanded by the inner shell
unshare --mount --propagation private sh -eu -c '
    base=$1 run=$2 archives=$3 mirror=$4
    r=$run/root
    mount -t overlay overlay -o "lowerdir=$base,upperdir=$run/upper,workdir=$run/work" "$r"
    mount -t proc proc "$r/proc"
    mount -t sysfs -o ro sysfs "$r/sys"
    mount --bind "$archives" "$r/var/cache/apt/archives"
    mkdir -p "$r/tmp/deb"
    mount --bind "$run" "$r/tmp/deb"
    cp /etc/resolv.conf "$r/etc/resolv.conf"
    echo "deb $mirror bookworm main" >"$r/etc/apt/sources.list"
    printf "#!/bin/sh\nexit 101\n" >"$r/usr/sbin/policy-rc.d"
    chmod 0755 "$r/usr/sbin/policy-rc.d"
    exec chroot "$r" /usr/bin/env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive sh /tmp/deb/inside.sh
' sh "$base" "$run" "$archives" "$mirror"
say "passed in $(($(date +%s) - t0)) s"
