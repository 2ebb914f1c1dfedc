#!/bin/sh
# The .deb as a user gets it, installed with apt-get on a fresh Debian 12 (a cached debootstrap'd
# system under a throw-away overlay), its dependencies fetched from the Debian archive by its
# Depends alone; then `lockstep --version` and `lockstep selftest` on the packaged simulated rig
# run there, the plugin is where the packaged plugstack.conf names it, and the dynamic loader
# finds every library the launcher and the plugin need.
#
#   scripts/package-test.sh BUILD_DIR               (as root) amd64: cpack in BUILD_DIR, installed
#                                                   on the system tests/ansible boots
#   scripts/package-test.sh --arch arm64 BUILD_DIR  (as root) the arm64 .deb scripts/arm64.sh made
#                                                   in BUILD_DIR, installed on a plain Debian 12
#                                                   arm64 system (scripts/arm64.sh --base), every
#                                                   arm64 program in it run by qemu-user through
#                                                   binfmt_misc
set -eu
cd "$(dirname "$0")/.."
. ./scripts/debian-root.sh
arch=amd64
if [ "${1:-}" = --arch ]; then
    arch=${2:?usage: package-test.sh [--arch amd64|arm64] BUILD_DIR}
    shift 2
fi
case $arch in amd64 | arm64) ;; *) echo "package-test: unknown architecture '$arch' (amd64 or arm64)" >&2 && exit 2 ;; esac
build=$(cd "${1:?usage: package-test.sh [--arch amd64|arm64] BUILD_DIR}" && pwd)
say() { echo "package-test: $arch: $*"; }
if [ "$(id -u)" -ne 0 ]; then
    say "SKIPPED: needs root (debootstrap, chroot, mounts)"
    exit 0
fi
t0=$(date +%s)

if [ "$arch" = amd64 ]; then
    (cd "$build" && cpack -G DEB >cpack.log 2>&1) || { say "FAIL: cpack: $(tail -n 20 "$build/cpack.log")"; exit 1; }
fi
# scripts/arm64.sh ran cpack itself, with the Depends it read from its sysroot.
deb=$(sed -n 's/^CPack: - package: \(.*\) generated\.$/\1/p' "$build/cpack.log" 2>/dev/null || true)
if [ -z "$deb" ] || [ ! -f "$deb" ]; then
    say "FAIL: no .deb named in $build/cpack.log"
    exit 1
fi
[ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] ||
    { say "FAIL: $deb is for $(dpkg-deb -f "$deb" Architecture), not $arch"; exit 1; }
say "$(basename "$deb"): Depends: $(dpkg-deb -f "$deb" Depends)"
case " $(dpkg-deb -f "$deb" Depends | tr -d ',') " in
*" libcamera-ipa "*) ;;
*) say "FAIL: Depends lacks libcamera-ipa (no Pi camera starts without it)"; exit 1 ;;
esac

# apt's downloads are kept between runs (they are not needed: a fresh machine fetches them); for
# arm64 in the sysroot's download cache, which holds most of the runtime libraries already.
if [ "$arch" = amd64 ]; then
    base=$(./tests/ansible/rootfs.sh --base)
    archives=/var/cache/lockstep/package-test-archives
    qemu=
else
    base=$(./scripts/arm64.sh --base)
    archives=/var/cache/lockstep/arm64-archives
    # For kernels whose binfmt entry does not hold the emulator open (no F flag): in the root too.
    qemu=/usr/bin/qemu-aarch64-static
fi
say "fresh root: $base under a throw-away overlay; apt's download cache $archives holds $(find "$archives" -maxdepth 1 -name '*.deb' 2>/dev/null | wc -l) .deb files (what it lacks is downloaded)"
t_root=$(date +%s)
run=$(mktemp -d /var/tmp/lockstep-package.XXXXXX)
trap 'unmount_under "$run"; rm -rf "$run"' EXIT
mkdir -p "$archives/partial" "$run/upper" "$run/work" "$run/root"
cp "$deb" "$run/lockstep.deb"
mirror=$(debian_mirror)

# What runs in the root, as root: apt installs the .deb by its Depends alone, then the checks.
cat >"$run/inside.sh" <<'INSIDE'
set -eu
apt-get -qq update
t=$(date +%s)
echo "package-test: $ARCH: apt-get update took $((t - T0)) s"
apt-get -qq install -y --no-install-recommends /tmp/deb/lockstep.deb >/tmp/deb/apt.log 2>&1 ||
    { tail -n 30 /tmp/deb/apt.log; exit 1; }
echo "package-test: $ARCH: installed ($(sed -n 's/^Setting up \([^ ]*\) .*/\1/p' /tmp/deb/apt.log | wc -l) packages set up) in $(($(date +%s) - t)) s; lockstep --version: $(lockstep --version)"
plugin=$(awk '/^required/ { print $2 }' /usr/local/share/lockstep/examples/conf/slurm/plugstack.conf)
[ -f "$plugin" ] || { echo "package-test: $ARCH: FAIL: no plugin at $plugin"; exit 1; }
echo "package-test: $ARCH: plugin at $plugin, as plugstack.conf names it"
# The loader's own list of what each needs, resolved in this root (slurmstepd provides the
# plugin's spank_* symbols, so only libraries are checked, not symbols).
for f in "$(command -v lockstep)" "$plugin"; do
    ldd "$f" >/tmp/deb/ldd.txt 2>&1 || { cat /tmp/deb/ldd.txt; echo "package-test: $ARCH: FAIL: ldd $f"; exit 1; }
    if grep 'not found' /tmp/deb/ldd.txt; then
        echo "package-test: $ARCH: FAIL: $f needs libraries its Depends did not install"
        exit 1
    fi
    echo "package-test: $ARCH: $f: the loader finds all $(grep -c '=> /' /tmp/deb/ldd.txt) libraries it needs"
done
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
    { echo "package-test: $ARCH: FAIL: selftest exited $rc (its worst line: $worst)"; exit 1; }
echo "package-test: $ARCH: selftest ran every check (exit status $rc, by its worst line)"
INSIDE

# One private mount namespace: the overlay, /proc, /sys, the deb and apt's cache; all go with it.
# shellcheck disable=SC2016 # expanded by the inner shell
unshare --mount --propagation private sh -eu -c '
    base=$1 run=$2 archives=$3 mirror=$4 arch=$5 qemu=$6
    r=$run/root
    mount -t overlay overlay -o "lowerdir=$base,upperdir=$run/upper,workdir=$run/work" "$r"
    mount -t proc proc "$r/proc"
    mount -t sysfs -o ro sysfs "$r/sys"
    mount --bind "$archives" "$r/var/cache/apt/archives"
    mkdir -p "$r/tmp/deb"
    mount --bind "$run" "$r/tmp/deb"
    cp /etc/resolv.conf "$r/etc/resolv.conf"
    [ -z "$qemu" ] || cp "$qemu" "$r/usr/bin/"
    echo "deb $mirror bookworm main" >"$r/etc/apt/sources.list"
    printf "#!/bin/sh\nexit 101\n" >"$r/usr/sbin/policy-rc.d"
    chmod 0755 "$r/usr/sbin/policy-rc.d"
    exec chroot "$r" /usr/bin/env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive ARCH="$arch" T0="$(date +%s)" sh /tmp/deb/inside.sh
' sh "$base" "$run" "$archives" "$mirror" "$arch" "$qemu"
say "passed in $(($(date +%s) - t0)) s (in the root $(($(date +%s) - t_root)) s)"
