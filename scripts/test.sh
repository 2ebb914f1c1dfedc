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
# Each ctest run writes JUnit XML, from which the last line names every skipped test and why.
rm -f build/ctest-junit.xml build-asan/ctest-junit.xml
ctest --test-dir build --output-on-failure -j"$jobs" --output-junit "$PWD/build/ctest-junit.xml"
# Provisioning: ansible/site.yml run for real against booted Debian 12 containers, then Slurm,
# MPI, a scan into the NFS export, idempotence and repair checked on them (root only; it says
# so when it skips).
./tests/ansible/run.sh build

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLOCKSTEP_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" --target unit_tests
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -L unit \
    --output-junit "$PWD/build-asan/ctest-junit.xml"

./scripts/libcamera-virtual.sh

# The rig and plan loaders under libFuzzer for a fixed minute, seeded from conf/.
./tests/fuzz/run.sh

python3 tests/skip-summary.py build/ctest-junit.xml build-asan/ctest-junit.xml
