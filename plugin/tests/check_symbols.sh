#!/bin/sh
# The plugin's symbols: it exports exactly Slurm's plugin_* objects and the slurm_spank_*
# callbacks it defines (linker version script), and carries none of the simulated GPIO backend
# (SimGpio, its motor tracks and threads), which --gc-sections drops. Exit 1 names what is wrong.
set -eu
so=$1
status=0
exported=$(nm -D --defined-only "$so" | awk '{print $3}' | sort | tr '\n' ' ')
expected="plugin_name plugin_type plugin_version slurm_spank_exit slurm_spank_init slurm_spank_init_post_opt slurm_spank_job_epilog slurm_spank_task_exit slurm_spank_task_init slurm_spank_task_init_privileged "
if [ "$exported" = "$expected" ]; then
    echo "ok: exports only: $exported"
else
    echo "FAIL: exports '$exported', expected '$expected'"
    status=1
fi
sim=$(nm -C "$so" | grep -E 'SimGpio|TrackPublisher|MotorTrack|EdgeLog|SharedLines|openMotorLines' || true)
if [ -z "$sim" ]; then
    echo "ok: no simulated GPIO backend in $(basename "$so") ($(wc -c <"$so") bytes)"
else
    echo "FAIL: simulation code in the plugin:"
    echo "$sim" | head -n 10
    status=1
fi
# Hardening (plugin/CMakeLists.txt): full RELRO (-z relro -z now), a non-executable stack, the
# stack protector and _FORTIFY_SOURCE's checked functions in use.
hardening=
readelf -d "$so" | grep -q 'FLAGS.*BIND_NOW' || hardening="$hardening no BIND_NOW (-z now);"
readelf -lW "$so" | grep -q GNU_RELRO || hardening="$hardening no GNU_RELRO;"
readelf -lW "$so" | grep GNU_STACK | grep -q 'RWE' && hardening="$hardening executable stack;"
nm -D "$so" | grep -q '__stack_chk_fail' || hardening="$hardening no stack protector;"
nm -D "$so" | grep -q '_chk@' || hardening="$hardening no _FORTIFY_SOURCE checked calls;"
if [ -z "$hardening" ]; then
    echo "ok: hardened: BIND_NOW, GNU_RELRO, non-executable stack, stack protector, fortified calls"
else
    echo "FAIL: hardening missing:$hardening"
    status=1
fi
# A MODULE links with undefined symbols allowed (Slurm's come from slurmstepd): ours must not be.
undefined=$(nm -D --undefined-only "$so" | grep -i lockstep || true)
if [ -z "$undefined" ]; then
    echo "ok: no undefined lockstep symbol"
else
    echo "FAIL: undefined in the plugin (slurmd could not load it):"
    echo "$undefined" | head -n 10
    status=1
fi
exit $status
