#!/usr/bin/env bash
# Installs the dependencies (scripts/setup.sh), builds a Release of the program and its C++ API
# into build-release/, and makes the Debian packages there: cutover_<version>_amd64.deb,
# cutover-dev_<version>_amd64.deb and cutover-dbgsym_<version>_amd64.ddeb.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# -g: the symbols go into the -dbgsym package; the packaged program is stripped.
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCUTOVER_BUILD_TESTS=OFF \
  -DCMAKE_CXX_FLAGS_RELEASE="-O3 -DNDEBUG -g" >/dev/null
cmake --build build-release
(cd build-release && cpack -G DEB)
ls -l build-release/*.deb build-release/*.ddeb 2>/dev/null || true
