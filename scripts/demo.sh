#!/bin/sh
# The demo: builds lockstep, then scans the simulated 4-camera turntable rig as four processes
# (one per simulated Pi) under Open MPI's mpirun, the single-machine PMIx server; verifies the
# scan from its pixels and writes its report. No Slurm, no hardware.
#   LOCKSTEP_DEMO_OUT  where the frames go (default: ./demo-out)
set -eu
cd "$(dirname "$0")/.."
top=$PWD
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target lockstep
lockstep=$top/build/launcher/lockstep

out=${LOCKSTEP_DEMO_OUT:-$top/demo-out}
plan=conf/scan-demo.yaml
"$lockstep" validate "$plan"
# A fresh demo each time: the old scan and the simulated rig's state (motor positions, line
# levels, motor tracks) are removed first.
rm -rf "$out/demo" conf/sim-state
mkdir -p "$out"

"$top/scripts/mpirun-sim.sh" 4 "$lockstep" scan "$plan" --out "$out" --node-by-rank
"$lockstep" verify "$out/demo"
"$lockstep" report "$out/demo"
echo
echo "Frames:  $out/demo/pos-*/"
echo "Report:  $out/demo/report/index.html"
