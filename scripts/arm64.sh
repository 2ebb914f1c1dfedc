#!/bin/sh
# lockstep for Raspberry Pi OS 64-bit (Debian 12 arm64), built and unit-tested on this x86-64
# machine: a Debian 12 arm64 root made with debootstrap (--foreign, then its second stage under
# qemu-user-static) holds lockstep's arm64 -dev packages; Debian's cross compiler builds against it
# as the sysroot (cmake/aarch64-linux-gnu.cmake) and ctest runs the unit tests under qemu-user.
# The root is cached under /var/cache/lockstep/ by its package list and made again when missing.
# It is made from a copy of a plain Debian 12 arm64 system (debootstrap's two stages, nothing
# added), cached apart: scripts/package-test.sh installs the arm64 .deb on that one, fresh, under
# a throw-away overlay. apt's downloads for both are kept in /var/cache/lockstep/arm64-archives.
#
#   scripts/arm64.sh [BUILD_DIR]    (as root; default build-arm64)
#   scripts/arm64.sh --sysroot      only make the sysroot (scripts/test.sh starts this early, in
#                                   the background: most of it is download and emulated dpkg)
#   scripts/arm64.sh --base         only make the plain Debian 12 arm64 system; prints its path
#
# Built: the launcher and the SPANK plugin (what a Pi runs), and the unit tests of the code whose
# behaviour can differ by architecture: motion (step timing, with its step-time digests), GPIO,
# storage, image codecs, configuration, cameras, and the plugin's parts. Not built: the unit tests
# of coordination, scan bookkeeping and selftest's readers (plain logic, tested on amd64), the
# benchmarks and the integration tests' helpers (they need mpirun): they would double the time.
# LOCKSTEP_ARM64_TARGETS and LOCKSTEP_ARM64_TESTS (a ctest -R regex) override the lists, e.g.
# LOCKSTEP_ARM64_TARGETS="all" LOCKSTEP_ARM64_TESTS="^unit[.]".
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
sysroot_only=
base_only=
case ${1:-} in
--sysroot) sysroot_only=1 && shift ;;
--base)
    # The path alone on standard output (fd 3), the progress on standard error.
    base_only=1 && shift
    exec 3>&1 1>&2
    ;;
esac
build=${1:-build-arm64}
# shellcheck source=scripts/debian-root.sh
. ./scripts/debian-root.sh

say() { echo "arm64: $*"; }
if [ "$(id -u)" -ne 0 ]; then
    say "SKIPPED: needs root (debootstrap, chroot, binfmt_misc)"
    exit 0
fi

# The sysroot's packages: what CMakeLists.txt finds, for the launcher, plugin and unit tests.
# nlohmann-json3-dev and libcli11-dev are headers only, but CMake's package files for them are
# looked up in the sysroot too.
packages="libc6-dev libstdc++-12-dev libyaml-dev libyaml-cpp-dev libgpiod-dev libhwloc-dev
    libcamera-dev libpmix-dev libslurm-dev libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev libexif-dev libtiff-dev zlib1g-dev
    nlohmann-json3-dev libssl-dev
    libboost-test-dev libcli11-dev libacl1-dev"
# shellcheck disable=SC2086,SC2116 # the unquoted echo joins the lines
packages=$(echo $packages)
cache=/var/cache/lockstep
root=${LOCKSTEP_ARM64_SYSROOT:-$cache/arm64-sysroot-$(cache_key "bookworm arm64 $packages")}
base=$cache/arm64-base-$(cache_key "bookworm arm64 minbase")
archives=$cache/arm64-archives
jobs=$(nproc)
t0=$(date +%s)
phase_start() { phase_t=$(date +%s); }
phase_end() { say "time: $1 took $(($(date +%s) - phase_t)) s"; }

# ------------------------------------------------------------------ host tools
phase_start
if ! command -v qemu-aarch64-static >/dev/null || ! command -v update-binfmts >/dev/null ||
    ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        qemu-user-static binfmt-support g++-aarch64-linux-gnu debootstrap >/dev/null
fi
# The second stage runs arm64 programs in the chroot through binfmt_misc. The kernel has it but
# nothing mounts it where PID 1 is not systemd, and binfmt-support's service does not run then.
if ! mountpoint -q /proc/sys/fs/binfmt_misc; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    update-binfmts --enable qemu-aarch64
fi
phase_end "host tools (qemu-user-static, cross compiler, binfmt_misc)"

# ------------------------------------------------------------------ the plain Debian 12 arm64 system
# make_base: debootstrap's first stage (download and unpack, no arm64 code runs) and its second
# (dpkg and the maintainer scripts, arm64 programs under emulation) into $base, unless cached.
# Its own lock: a package test waiting for it need not wait for a sysroot being made.
make_base() {
    exec 8>"$cache/arm64-base.lock"
    flock 8
    if [ -f "$base/.lockstep-complete" ]; then
        exec 8>&-
        say "the plain Debian 12 arm64 system is cached ($base, made $(date -r "$base/.lockstep-complete" '+%F %R')): debootstrap skipped"
        return 0
    fi
    btmp=$base.partial
    unmount_under "$btmp"
    rm -rf "$btmp"
    mirror=$(debian_mirror)
    say "making the plain Debian 12 arm64 system $base from $mirror"
    debootstrap --arch=arm64 --foreign --variant=minbase bookworm "$btmp" "$mirror" \
        >"$cache/arm64-base.log" 2>&1 ||
        { say "debootstrap failed, see $cache/arm64-base.log"; exit 1; }
    say "first stage in $(($(date +%s) - phase_t)) s; second stage under qemu-user"
    # The static qemu is copied in for kernels whose binfmt entry does not hold it open (no F flag).
    cp /usr/bin/qemu-aarch64-static "$btmp/usr/bin/"
    trap 'unmount_under "$btmp"' EXIT
    chroot "$btmp" /debootstrap/debootstrap --second-stage >>"$cache/arm64-base.log" 2>&1 ||
        { say "second stage failed, see $cache/arm64-base.log"; exit 1; }
    unmount_under "$btmp"
    trap - EXIT
    # debootstrap leaves the base system's .debs in apt's cache: installed, they are not needed.
    rm -f "$btmp/usr/bin/qemu-aarch64-static" "$btmp"/var/cache/apt/archives/*.deb
    touch "$btmp/.lockstep-complete"
    rm -rf "$base"
    mv "$btmp" "$base"
    for old in "$cache"/arm64-base-*; do
        [ "$old" = "$base" ] || [ ! -d "$old" ] || { unmount_under "$old"; rm -rf "$old"; }
    done
    exec 8>&-
    say "second stage done at $(($(date +%s) - phase_t)) s"
}

mkdir -p "$cache"
if [ -n "$base_only" ]; then
    phase_start
    make_base
    phase_end "plain Debian 12 arm64 system (debootstrap, second stage under qemu; cached under $cache)"
    echo "$base" >&3
    exit 0
fi

# ------------------------------------------------------------------ the sysroot
phase_start
exec 9>"$cache/arm64-sysroot.lock"
flock 9
if [ ! -f "$root/.lockstep-complete" ]; then
    make_base
    tmp=$root.partial
    unmount_under "$tmp"
    rm -rf "$tmp"
    say "making the Debian 12 arm64 sysroot $root from a copy of $base"
    cp -a --reflink=auto "$base" "$tmp"
    rm -f "$tmp/.lockstep-complete"
    cp /usr/bin/qemu-aarch64-static "$tmp/usr/bin/"
    # The -dev packages with apt in the chroot: debootstrap's own --include cannot resolve a
    # dependency on a virtual package (libltdl-dev, under libhwloc-dev, needs "automake-1.16").
    # The downloads stay in $archives (a bind mount, so none is left in the sysroot): the arm64
    # package test finds the runtime libraries there.
    cp /etc/resolv.conf "$tmp/etc/resolv.conf"
    trap 'unmount_under "$tmp"' EXIT
    mountpoint -q "$tmp/proc" || mount -t proc proc "$tmp/proc"
    mkdir -p "$archives/partial"
    mount --bind "$archives" "$tmp/var/cache/apt/archives"
    # shellcheck disable=SC2086 # one argument per package
    chroot "$tmp" env DEBIAN_FRONTEND=noninteractive sh -c \
        "apt-get -qq update && apt-get install -y -qq --no-install-recommends $packages" \
        >>"$cache/arm64-debootstrap.log" 2>&1 ||
        { say "apt-get in the sysroot failed, see $cache/arm64-debootstrap.log"; exit 1; }
    unmount_under "$tmp"
    trap - EXIT
    # What `apt-get clean` would remove besides the downloads: apt's package caches (75 MB).
    rm -f "$tmp/usr/bin/qemu-aarch64-static" "$tmp"/var/cache/apt/*.bin
    touch "$tmp/.lockstep-complete"
    rm -rf "$root"
    mv "$tmp" "$root"
    # Sysroots for other package lists are stale now (about 650 MB each): keep only this one
    # (unless the root was given: then the cache is someone else's).
    [ -n "${LOCKSTEP_ARM64_SYSROOT:-}" ] || for old in "$cache"/arm64-sysroot-*; do
        [ "$old" = "$root" ] || [ ! -d "$old" ] || { unmount_under "$old"; rm -rf "$old"; }
    done
fi
exec 9>&-
phase_end "arm64 sysroot (debootstrap, second stage under qemu; cached under $cache)"
[ -z "$sysroot_only" ] || exit 0

# ------------------------------------------------------------------ cross build
phase_start
# The release build's optimisation (the step-time digests must hold for what ships) without its
# debug information, which costs compile time and is stripped from the .deb anyway. `cpack`
# installs what it packages without building everything first.
# A build directory configured against another sysroot (an older package list, since removed)
# holds that root's paths in its cache: start it again.
if [ -f "$build/CMakeCache.txt" ] && [ "$(cat "$build/lockstep-sysroot" 2>/dev/null)" != "$root" ]; then
    say "$build was configured for another sysroot: configuring it again"
    rm -rf "$build"
fi
mkdir -p "$build"
echo "$root" >"$build/lockstep-sysroot"
cmake -S . -B "$build" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/aarch64-linux-gnu.cmake" \
    -DLOCKSTEP_SYSROOT="$root" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" \
    -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >/dev/null
targets=${LOCKSTEP_ARM64_TARGETS:-lockstep spank_lockstep test_motion test_gpio test_storage test_image test_config test_camera test_plugin}
tests=${LOCKSTEP_ARM64_TESTS:-^unit[.](motion|gpio|storage|image|config|camera)([.]|$)}
# shellcheck disable=SC2086 # one argument per target
cmake --build "$build" -j"$jobs" --target $targets
readelf -h "$build/launcher/lockstep" | grep -q 'Machine: *AArch64' ||
    { say "FAIL: $build/launcher/lockstep is not an arm64 executable"; exit 1; }
phase_end "cross build ($targets)"

# ------------------------------------------------------------------ unit tests under qemu-user
phase_start
# ctest starts each test under qemu-aarch64 -L SYSROOT (the toolchain file's emulator); programs
# those start in turn go through binfmt_misc and find their libraries by QEMU_LD_PREFIX. The
# GPIO uAPI cases (unit.gpio_uapi_*, when asked for) skip themselves (exit 77): qemu-user has no
# seccomp, which their stand-in chip needs.
QEMU_LD_PREFIX=$root ctest --test-dir "$build" --output-on-failure -j"$jobs" -L unit -R "$tests" \
    -E '^unit[.]plugin$'
# unit.plugin without its two cases that find a job's processes by what /proc shows of them
# (open descriptors, environment): under qemu-user they do not find the one process they should
# (what /proc shows is the emulator's), which says nothing of arm64 itself; they run natively.
if [ -x "$build/plugin/test_plugin" ]; then
    say "unit.plugin: without processes_of_the_* (finding processes through /proc fails under qemu-user)"
    QEMU_LD_PREFIX=$root qemu-aarch64-static -L "$root" "$build/plugin/test_plugin" \
        --run_test='!processes_of_the_*'
fi
QEMU_LD_PREFIX=$root "$build/launcher/lockstep" --version
phase_end "unit tests under qemu-user"

# ------------------------------------------------------------------ the arm64 .deb
phase_start
# dpkg-shlibdeps reads this machine's dpkg database: the Depends of a cross build come from the
# sysroot's instead. Each library the launcher and plugin need, by the package that holds it in
# the sysroot, at least the version there (Raspberry Pi OS bookworm has the same or newer).
depends=
for lib in $(readelf -d "$build/launcher/lockstep" "$build/plugin/spank_lockstep.so" |
    sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u); do
    # Debian 12's packages still name some libraries by /lib (merged into /usr/lib on disk).
    pkg=
    for path in /usr/lib/aarch64-linux-gnu/"$lib" /lib/aarch64-linux-gnu/"$lib"; do
        pkg=$(dpkg-query --admindir="$root/var/lib/dpkg" -S "$path" 2>/dev/null | head -n1 | cut -d: -f1) &&
            [ -n "$pkg" ] && break
    done
    [ -n "$pkg" ] || { say "FAIL: no package of the sysroot holds $lib (needed by lockstep)"; exit 1; }
    version=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' "$pkg")
    version=${version%-*} # the upstream version: any Debian revision of it will do
    case ", $depends, " in *", $pkg (>= $version), "*) continue ;; esac
    depends="${depends:+$depends, }$pkg (>= $version)"
done
# And what cmake/package.cmake adds: libcamera's IPA modules of the sysroot's libcamera release.
runtime=$(sed -n 's/^set(CPACK_DEBIAN_PACKAGE_DEPENDS "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
case $runtime in *libcamera-ipa*) ;; *) say "FAIL: no libcamera-ipa in $build/CPackConfig.cmake"; exit 1 ;; esac
depends="$depends, $runtime"
(cd "$build" && cpack -G DEB -D CPACK_DEBIAN_PACKAGE_SHLIBDEPS=OFF \
    -D "CPACK_DEBIAN_PACKAGE_DEPENDS=$depends" >cpack.log 2>&1) ||
    { say "FAIL: cpack: $(tail -n 20 "$build/cpack.log")"; exit 1; }
deb=$(sed -n 's/^CPack: - package: \(.*\) generated\.$/\1/p' "$build/cpack.log")
[ "$(dpkg-deb -f "$deb" Architecture)" = arm64 ] || { say "FAIL: $deb is not an arm64 package"; exit 1; }
dpkg-deb -c "$deb" | grep ' ./usr/local/lib/lockstep/spank_lockstep.so$' >/dev/null ||
    { say "FAIL: $deb has no plugin where plugstack.conf names it"; exit 1; }
say "$(basename "$deb"): Depends: $(dpkg-deb -f "$deb" Depends)"
phase_end "arm64 .deb"
say "passed in $(($(date +%s) - t0)) s"
