#!/usr/bin/env bash
# Installs the dependencies (scripts/setup.sh) and builds a Release into build-release/, without
# the tests: the given targets, or everything. Debug information (-g) is kept for the -dbgsym
# package; the packaged program is stripped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCUTOVER_BUILD_TESTS=OFF \
  -DCMAKE_CXX_FLAGS_RELEASE="-O3 -DNDEBUG -g" >/dev/null
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build build-release "${targets[@]}"
