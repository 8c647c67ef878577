#!/usr/bin/env bash
# Sets up, builds and runs the demo: the shipped suites against servers the demo starts on
# loopback. Arguments go to `cutover demo` (e.g. --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh
exec build/cutover demo "$@"
