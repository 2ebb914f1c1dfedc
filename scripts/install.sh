#!/bin/sh
# Builds lockstep (the launcher and the SPANK plugin) from this repository and installs it under
# /usr/local: /usr/local/bin/lockstep, /usr/local/lib/lockstep/spank_lockstep.so. What the
# provisioning playbook runs on a host when it is given no .deb (about 20 minutes on a Pi 4).
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build-install -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
cmake --build build-install -j"$(nproc)" --target lockstep spank_lockstep
cmake --install build-install
echo "install: lockstep installed in /usr/local"
