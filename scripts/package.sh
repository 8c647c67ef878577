#!/usr/bin/env bash
# Installs the dependencies, builds a Release (scripts/build-release.sh) and makes the Debian
# packages in build-release/: cutover_<version>_amd64.deb, cutover-dev_<version>_amd64.deb and
# cutover-dbgsym_<version>_amd64.ddeb.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build-release.sh
(cd build-release && cpack -G DEB)
ls -l build-release/*.deb build-release/*.ddeb
