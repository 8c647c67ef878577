#!/usr/bin/env bash
# Sets up, builds and runs the demo: a whole migration on loopback (a source and a target
# PostgreSQL database, the old and new HTTPS services, a DNS server that switches between them),
# checked by the shipped suites. Arguments go to `cutover demo`: --out DIR, --break.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build-release.sh cutover_cli
exec build-release/cutover demo "$@"
