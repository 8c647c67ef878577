#!/usr/bin/env bash
# Installs the dependencies (scripts/setup.sh) and builds a Release into build-release/: the
# given targets, or everything. Debug information (-g) is kept for the -dbgsym package; the
# packaged program is stripped.   usage: build-release.sh [--tests] [TARGET...]
# --tests builds the tests too (scripts/test.sh does, once per run); without it they are left out.
set -euo pipefail
cd "$(dirname "$0")/.."

tests=OFF
if [[ "${1:-}" == --tests ]]; then
  tests=ON
  shift
fi
bash scripts/setup.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCUTOVER_BUILD_TESTS="$tests" \
  -DCMAKE_CXX_FLAGS_RELEASE="-O3 -DNDEBUG -g" >/dev/null
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build build-release "${targets[@]}"
