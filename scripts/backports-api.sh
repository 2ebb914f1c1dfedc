#!/bin/sh
# lockstep against the newer libcamera and libgpiod APIs that Debian's own registry carries for
# Debian 12: bookworm-backports' libcamera 0.3 and libgpiod 2.1 (Raspberry Pi OS runs Raspberry
# Pi's libcamera fork 0.4-0.5, and libgpiod 2.x on newer images). Next to the Debian 12 build
# (libcamera 0.0.3, libgpiod 1.6) this keeps both API versions compiling and tested: everything
# that includes libcamera or libgpiod (the camera and GPIO libraries with their unit tests, linked;
# the launcher's three files that do, compiled) is built with -Werror in a bookworm root with
# those two from backports, and the GPIO unit tests and the camera unit tests that use libcamera
# run there. The rest of the tree
# uses neither API: the Debian 12 builds cover it. The root is made with mmdebstrap from this machine's Debian mirror and
# cached under /var/cache/lockstep/ by its package list; a fresh machine makes it (~2-3 min).
#
#   scripts/backports-api.sh          (as root: chroot, mounts)
#   scripts/backports-api.sh --root   only make the root (scripts/test.sh starts this early, in
#                                     the background: it is download and dpkg)
#
# LOCKSTEP_BACKPORTS_TARGETS overrides the targets built (e.g. "all"; the launcher's files are
# compiled whatever it says).
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
root_only=
[ "${1:-}" != --root ] || root_only=1
# shellcheck source=scripts/debian-root.sh
. ./scripts/debian-root.sh
say() { echo "backports-api: $*"; }
if [ "$(id -u)" -ne 0 ]; then
    say "SKIPPED: needs root to make and enter the bookworm-backports root (chroot, mounts)"
    exit 0
fi
t0=$(date +%s)

# What CMakeLists.txt finds (mpirun is not needed: the integration tests are not built here).
packages="g++ make cmake pkg-config libyaml-dev libyaml-cpp-dev libhwloc-dev libpmix-dev libslurm-dev
    libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev libexif-dev libtiff-dev zlib1g-dev nlohmann-json3-dev libssl-dev
    libboost-test-dev libcli11-dev libacl1-dev"
# shellcheck disable=SC2086,SC2116 # the unquoted echo joins the lines
packages=$(echo $packages)
backported="libcamera-dev libgpiod-dev"
cache=/var/cache/lockstep
root=${LOCKSTEP_BACKPORTS_ROOT:-$cache/bookworm-backports-$(cache_key "$packages / $backported")}
build=$src/build-backports
jobs=$(nproc)
mirror=$(debian_mirror)

mkdir -p "$cache"
exec 9>"$cache/bookworm-backports.lock"
flock 9
if [ ! -f "$root/.lockstep-complete" ]; then
    say "making the bookworm + bookworm-backports root $root from $mirror"
    rm -rf "$root.tmp"
    # force-unsafe-io: dpkg's fsyncs are most of the time here, and a root left half made is
    # thrown away (it is renamed into place only when complete). The backported -dev packages
    # come from bookworm-backports explicitly (apt never picks backports by itself).
    # shellcheck disable=SC2016 # $1 is mmdebstrap's, in its hook
    mmdebstrap --quiet --variant=apt --include="$(echo "$packages" | tr ' ' ,)" \
        --dpkgopt=force-unsafe-io --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
        --chrooted-customize-hook="apt-get install -y -qq --no-install-recommends -t bookworm-backports $backported" \
        --customize-hook='chroot "$1" apt-get clean' \
        bookworm "$root.tmp" "deb $mirror bookworm main" "deb $mirror bookworm-backports main" \
        >"$cache/bookworm-backports.log" 2>&1 ||
        { tail -n 30 "$cache/bookworm-backports.log"; say "FAIL: mmdebstrap (log: $cache/bookworm-backports.log)"; exit 1; }
    touch "$root.tmp/.lockstep-complete"
    rm -rf "$root"
    mv "$root.tmp" "$root"
    say "root made in $(($(date +%s) - t0)) s"
fi
exec 9>&-
[ -z "$root_only" ] || exit 0

# The build in the root, in a private mount namespace (its mounts go with it): the tree read-only
# at /src, the build directory at /build.
mkdir -p "$build" "$root/src" "$root/build"
targets=${LOCKSTEP_BACKPORTS_TARGETS:-test_camera test_gpio}
# What runs in the root: the versions checked, the build, the tests.
cat >"$build/inside.sh" <<'INSIDE'
set -eu
jobs=$1 targets=$2
v() { dpkg-query -W -f '${Version}' "$1"; }
echo "backports-api: libcamera-dev $(v libcamera-dev), libgpiod-dev $(v libgpiod-dev)"
case $(v libcamera-dev) in 0.0.*) echo "backports-api: FAIL: not backports' libcamera"; exit 1 ;; esac
case $(v libgpiod-dev) in 1.*) echo "backports-api: FAIL: not backports' libgpiod"; exit 1 ;; esac
# The release build's optimisation, without debug information (compile time).
cmake -S /src -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" >/build/cmake.log 2>&1 ||
    { cat /build/cmake.log; exit 1; }
# shellcheck disable=SC2086 # one argument per target
cmake --build /build -j"$jobs" --target $targets
# The launcher's files that use either API, compiled only (linking the launcher would build
# everything else too): their own targets in CMake's Makefiles.
make -C /build/launcher -s -j"$jobs" commands/camera_description.o commands/gpio_check.o \
    scan/scan_output.o
ctest --test-dir /build --output-on-failure -j"$jobs" -R '^unit[.]gpio([.]|$)'
# unit.camera's cases that use libcamera (the rest, the simulated sensor and the grid lock, take
# minutes and use neither API: the Debian 12 builds run them).
/build/tests/unit/camera/test_camera --log_level=message \
    --run_test=absent_real_camera_is_a_clear_run_error,headers_and_library_are_the_same_version,optional_controls_compiled_in_exactly_when_the_library_has_them
INSIDE
# One private mount namespace (its mounts go with it): the tree read-only at /src, the build
# directory at /build, /proc.
# shellcheck disable=SC2016 # expanded by the inner shell
unshare --mount --propagation private sh -eu -c '
    r=$1 src=$2 build=$3
    shift 3
    mount --bind "$src" "$r/src"
    mount -o remount,bind,ro "$r/src"
    mount --bind "$build" "$r/build"
    mount -t proc proc "$r/proc"
    exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
' sh "$root" "$src" "$build" sh /build/inside.sh "$jobs" "$targets"
say "passed in $(($(date +%s) - t0)) s"
