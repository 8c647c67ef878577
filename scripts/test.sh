#!/usr/bin/env bash
# Sets up, builds and runs every test. The tests start their own servers on loopback.
# Arguments go to both ctest runs (e.g. -R Install).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh
(cd build && ctest --output-on-failure --timeout 600 -j "$(nproc)" "$@")

# Once per run, the Release build the packages are made from, with its tests: the whole tree
# must build at -O3, and the install and package tests (label `install`) run there.
bash scripts/build-release.sh --tests
cd build-release
ctest --output-on-failure --timeout 600 -j "$(nproc)" -L install "$@"
