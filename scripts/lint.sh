#!/bin/sh
# clang-format (no diff allowed) and clang-tidy (warnings are errors) over lockstep's own C++.
# Uses build/compile_commands.json from scripts/test.sh.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cpp' '*.h')
clang-format --dry-run -Werror $files
echo "lint: clang-format: clean"
# shellcheck disable=SC2086
run-clang-tidy -quiet -extra-arg=-Wno-unknown-warning-option -p build $(git ls-files '*.cpp') >build/clang-tidy.log 2>&1 || {
    grep -E "(warning|error):" build/clang-tidy.log | sort -u | head -50
    echo "lint: clang-tidy found problems (full log: build/clang-tidy.log)"
    exit 1
}
echo "lint: clang-tidy: clean"
