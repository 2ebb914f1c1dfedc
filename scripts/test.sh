#!/bin/sh
# The test command: installs dependencies, builds lockstep with -Wall -Wextra -Werror, runs every
# test (unit, integration under mpirun, and, when run as root, the 4-node Slurm cluster and the
# provisioning playbook on booted containers), then builds again with AddressSanitizer +
# UndefinedBehaviorSanitizer and runs the unit tests there, then the libcamera backend's tests
# against libcamera's virtual pipeline in a Debian trixie root, the .deb installed on a fresh
# Debian 12, the arm64 build (Raspberry Pi OS 64-bit) with its unit tests under qemu and its .deb
# installed on a fresh Debian 12 arm64 system, the build and unit tests against
# bookworm-backports' libcamera 0.3 and libgpiod 2.1, and a minute of fuzzing of the
# configuration loaders.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
jobs=$(nproc)

# The Debian roots the later parts need are mostly download and dpkg: made (or found cached) one
# after the other in the background while the native build compiles, in the order they are
# needed. scripts/arm64.sh and scripts/backports-api.sh lock their roots, so they wait for a root
# still being made; tests/ansible/rootfs.sh does not: the provisioning test waits for the mark.
mkdir -p build
rm -f build/roots-base.done
(
    ./tests/ansible/rootfs.sh --base >/dev/null && echo "test: the provisioning test's Debian 12 root is ready"
    touch build/roots-base.done
    ./scripts/arm64.sh --sysroot
    ./scripts/backports-api.sh --root
) >build/roots.log 2>&1 &
roots_pid=$!

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
# Each ctest run writes JUnit XML, from which the last line names every skipped test and why.
rm -f build/ctest-junit.xml build-asan/ctest-junit.xml
ctest --test-dir build --output-on-failure -j"$jobs" --output-junit "$PWD/build/ctest-junit.xml"
# Provisioning: ansible/site.yml run for real against booted Debian 12 containers, then Slurm,
# MPI, a scan into the NFS export, idempotence and repair checked on them (root only; it says
# so when it skips).
while [ ! -e build/roots-base.done ] && kill -0 "$roots_pid" 2>/dev/null; do sleep 2; done
./tests/ansible/run.sh build
# The .deb on a fresh Debian 12: installed with apt by its Depends, `lockstep --version` and
# `lockstep selftest` on the packaged simulated rig (root only; it says so when it skips).
./scripts/package-test.sh build

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLOCKSTEP_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" --target unit_tests
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -L unit \
    --output-junit "$PWD/build-asan/ctest-junit.xml"

./scripts/libcamera-virtual.sh

# arm64 (Raspberry Pi OS 64-bit): cross-built against the Debian 12 arm64 sysroot, unit tests
# of what differs by architecture under qemu-user, and the arm64 .deb.
roots_rc=0
wait "$roots_pid" || roots_rc=$?
cat build/roots.log
[ "$roots_rc" -eq 0 ] || echo "test: making the roots in the background failed ($roots_rc): each part tries once more"
./scripts/arm64.sh build-arm64
# The arm64 .deb on a fresh Debian 12 arm64 system under qemu-user: installed with apt by its
# Depends, the loader finding every library, `lockstep --version` and `lockstep selftest`.
./scripts/package-test.sh --arch arm64 build-arm64
# The newer APIs: the camera and GPIO code, launcher and plugin built against bookworm-backports'
# libcamera 0.3 and libgpiod 2.1, their unit tests run there.
./scripts/backports-api.sh

# The rig and plan loaders under libFuzzer for a fixed minute, seeded from conf/.
./tests/fuzz/run.sh

python3 tests/skip-summary.py build/ctest-junit.xml build-asan/ctest-junit.xml
