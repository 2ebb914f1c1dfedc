#!/bin/sh
# The test command: installs dependencies, builds lockstep with -Wall -Wextra -Werror, runs every
# test (unit, integration under mpirun, and, when run as root, the 4-node Slurm cluster and the
# provisioning playbook on booted containers), then builds again with AddressSanitizer +
# UndefinedBehaviorSanitizer and runs the unit tests there, then the libcamera backend's tests
# against libcamera's virtual pipeline in a Debian trixie root, and a minute of fuzzing of the
# configuration loaders.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
# Provisioning: ansible/site.yml run for real against booted Debian 12 containers, then Slurm,
# MPI, a scan into the NFS export, idempotence and repair checked on them (root only; it says
# so when it skips).
./tests/ansible/run.sh build
# The .deb on a fresh Debian 12: installed with apt by its Depends, `lockstep --version` and
# `lockstep selftest` on the packaged simulated rig (root only; it says so when it skips).
./scripts/package-test.sh build

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLOCKSTEP_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" --target unit_tests
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -L unit

./scripts/libcamera-virtual.sh

# The rig and plan loaders under libFuzzer for a fixed minute, seeded from conf/.
./tests/fuzz/run.sh
