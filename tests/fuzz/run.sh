#!/bin/sh
# Fuzzes the rig and plan loaders for a fixed time (default 60 s; FUZZ_SECONDS to change),
# seeded from conf/ and from the inputs in tests/fuzz/corpus-extra/. Exit 0 when nothing was
# found; otherwise the crashing input is kept in build-fuzz/findings/ and its path printed: turn
# it into a unit test (tests/unit/config) before fixing.
set -eu
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-60}
if ! command -v clang++ >/dev/null ||
    ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then
    echo "fuzz: SKIP: clang++ with libFuzzer (packages clang, libclang-rt-14-dev) is not installed"
    exit 0
fi
CXX=clang++ cmake -S tests/fuzz -B build-fuzz -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
# Seeds: the example files, each once as a rig (first byte even) and once as a plan (odd).
rm -rf build-fuzz/seeds build-fuzz/corpus
mkdir -p build-fuzz/seeds build-fuzz/corpus build-fuzz/findings
for f in conf/*.yaml tests/fuzz/corpus-extra/*; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    { printf 'r'; cat "$f"; } >"build-fuzz/seeds/rig-$name"  # 'r' = 0x72, even
    { printf 'q'; cat "$f"; } >"build-fuzz/seeds/plan-$name" # 'q' = 0x71, odd: a plan
done
echo "fuzz: the rig and plan loaders for ${seconds} s ($(find build-fuzz/seeds -type f | wc -l) seeds)"
if ./build-fuzz/fuzz_config -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix=build-fuzz/findings/ -print_final_stats=1 \
    build-fuzz/corpus build-fuzz/seeds >build-fuzz/fuzz.log 2>&1; then
    grep -E "stat::number_of_executed_units|cov:" build-fuzz/fuzz.log | tail -n 2
    echo "fuzz: no findings"
else
    tail -n 40 build-fuzz/fuzz.log
    echo "fuzz: FOUND a problem; input(s): $(ls build-fuzz/findings/)"
    exit 1
fi
