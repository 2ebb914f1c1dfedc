#!/bin/sh
# Installs everything lockstep needs to build, test and run its simulated rig, from
# Debian 12 (bookworm) packages only: the same versions Raspberry Pi OS bookworm ships.
set -eu
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    build-essential cmake pkg-config git ca-certificates \
    libyaml-dev libyaml-cpp-dev libgpiod-dev libhwloc-dev libcamera-dev \
    libpmix-dev openmpi-bin libopenmpi-dev \
    libslurm-dev \
    libturbojpeg0-dev libjpeg62-turbo-dev libjpeg-turbo-progs libpng-dev libexif-dev libtiff-dev nlohmann-json3-dev libssl-dev \
    libboost-test-dev libcli11-dev \
    rt-tests python3 procps iproute2 util-linux e2fsprogs \
    slurmctld slurmd slurm-client munge acl libacl1-dev \
    clang-format clang-tidy clang libclang-rt-14-dev \
    mmdebstrap \
    >/dev/null
echo "install-deps: all lockstep build and test dependencies are installed"
