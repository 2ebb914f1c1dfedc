#!/bin/sh
# The libcamera backend's tests against a real libcamera: upstream's virtual pipeline handler
# (software test-pattern cameras, no kernel device), in Debian trixie's libcamera 0.4 and then
# trixie-backports' 0.7. Debian 12's libcamera (0.0.3) has no virtual pipeline and trixie needs a
# newer glibc than Debian 12, so the tests build and run in a trixie root made with mmdebstrap from
# this machine's Debian mirror. The root (and backports' libcamera, an overlay on it) is cached
# under /var/cache/lockstep/ and made again when missing. Needs root (chroot, mounts).
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
    echo "libcamera-virtual: SKIPPED: needs root to make and enter the trixie root (chroot, mounts)"
    exit 0
fi

cache=/var/cache/lockstep
packages="g++ make cmake pkg-config libcamera-dev libboost-test-dev libyaml-dev libyaml-cpp-dev libgpiod-dev libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev libexif-dev libtiff-dev"
key=$(printf '%s\n' "$packages" | sha256sum | cut -c1-12)
root=${LOCKSTEP_LIBCAMERA_ROOT:-$cache/trixie-libcamera-$key}
jobs=$(nproc)

# The Debian mirror this machine's apt uses (trixie and trixie-backports are on the same one).
mirror=$(grep -hsE '^(URIs:|deb) ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    /etc/apt/sources.list.d/*.sources |
    grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ')
mirror=${mirror:-http://deb.debian.org/debian}

mkdir -p "$cache"
exec 9>"$cache/trixie-libcamera.lock"
flock 9

if [ ! -d "$root" ]; then
    echo "libcamera-virtual: making the trixie root $root from $mirror"
    start=$(date +%s)
    rm -rf "$root.tmp"
    # force-unsafe-io: dpkg's fsyncs are most of the time here, and a root left half made by a
    # crash is thrown away anyway (it is renamed into place only when complete).
    mmdebstrap --quiet --variant=apt --include="$(echo "$packages" | tr ' ' ,)" \
        --dpkgopt=force-unsafe-io --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        trixie "$root.tmp" "deb $mirror trixie main" "deb $mirror trixie-backports main"
    mv "$root.tmp" "$root"
    echo "libcamera-virtual: trixie root made in $(($(date +%s) - start)) s"
fi

# One pass, in a private mount namespace (every mount goes with it): the root, with backports'
# libcamera as an overlay on it when asked; the tree read-only at /src, the build directory at
# /build, /proc and /sys; then the given commands in the chroot.
in_root() {
    overlay=$1
    build=$2
    shift 2
    mkdir -p "$build" "$root/src" "$root/build"
    unshare --mount --propagation private sh -eu -c '
        r=$1 overlay=$2 src=$3 build=$4
        shift 4
        if [ -n "$overlay" ]; then
            mkdir -p "$overlay/upper" "$overlay/work" "$overlay/merged"
            mount -t overlay overlay -o "lowerdir=$r,upperdir=$overlay/upper,workdir=$overlay/work" \
                "$overlay/merged"
            r=$overlay/merged
        fi
        mount --bind "$src" "$r/src"
        mount -o remount,bind,ro "$r/src"
        mount --bind "$build" "$r/build"
        mount -t proc proc "$r/proc"
        mount -t sysfs -o ro sysfs "$r/sys"
        touch "$r/etc/resolv.conf"
        mount --bind /etc/resolv.conf "$r/etc/resolv.conf"
        exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
            LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
    ' sh "$root" "$overlay" "$src" "$build" "$@"
}

# Builds the camera library and the tests under ASan+UBSan and runs them.
test_pass() {
    overlay=$1
    name=$2
    build=$cache/build-$name-$key
    start=$(date +%s)
    # A first backports build starts from the trixie one: only the camera library and the test
    # include libcamera, and those are built again (dpkg keeps the packages' old file times, so
    # make would not see the newer headers).
    if [ -n "$overlay" ] && [ ! -d "$build" ] && [ -d "$cache/build-trixie-$key" ]; then
        cp -a "$cache/build-trixie-$key" "$build"
        rm -rf "$build/liblockstep/camera/CMakeFiles/lockstep_camera.dir" \
            "$build/CMakeFiles/test_libcamera_virtual.dir" "$build/CMakeCache.txt"
    fi
    in_root "$overlay" "$build" sh -eu -c '
        mkdir -p /usr/share/libcamera/pipeline/virtual
        cp /src/tests/libcamera/virtual.yaml /usr/share/libcamera/pipeline/virtual/virtual.yaml
        echo "libcamera-virtual: libcamera $(dpkg-query -W -f "\${Version}" libcamera-dev) ($1)"
        cmake -S /src/tests/libcamera -B /build -DCMAKE_BUILD_TYPE=Debug -Wno-dev >/dev/null
        cmake --build /build -j"$2" >/dev/null
        cd /build
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
            ./test_libcamera_virtual --log_level=message $3
    ' sh "$name" "$jobs" "${LOCKSTEP_TEST_ARGS:-}"
    echo "libcamera-virtual: $name passed in $(($(date +%s) - start)) s"
}

test_pass "" trixie

backports=$cache/trixie-libcamera-$key-backports
if [ ! -e "$backports/ready" ]; then
    echo "libcamera-virtual: installing trixie-backports' libcamera in an overlay on the root"
    start=$(date +%s)
    rm -rf "$backports"
    mkdir -p "$backports"
    in_root "$backports" "$backports/build" sh -eu -c '
        apt-get -qq update
        apt-get -qq install -y --no-install-recommends -t trixie-backports libcamera-dev >/dev/null
    '
    touch "$backports/ready"
    echo "libcamera-virtual: overlay made in $(($(date +%s) - start)) s"
fi
test_pass "$backports" trixie-backports
