#!/usr/bin/env bash
# Sets up, builds and runs every test. The tests start their own servers on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh
cd build
ctest --output-on-failure --timeout 600 -j "$(nproc)" "$@"
