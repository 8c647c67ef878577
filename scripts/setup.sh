#!/usr/bin/env bash
# Installs every build and test dependency of Cutover from Debian 12 packages.
# Idempotent: when every package is already installed it returns at once, without apt-get update.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libboost-dev libboost-system-dev libssl-dev libc-ares-dev libpqxx-dev
  nlohmann-json3-dev libyaml-dev libtinyxml2-dev libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev
  postgresql postgresql-contrib libxml2-utils procps nsd help2man man-db
  # suite files validated against `cutover schema`, as editors do (tests/support/validate_suites.py)
  python3-jsonschema python3-yaml
  # completion scripts checked by the shells themselves (tests/harness/completion_test.cpp)
  zsh fish
  # the HTML report's browser test: headless Chromium, and fonts for its screenshot
  chromium fonts-liberation
  # MySQL/MariaDB checks: the client library, and the servers the tests start
  # (loopback/mariadb_server.cpp; with --no-defaults, a system mariadb service does not matter)
  mariadb-server mariadb-client libmariadb-dev
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing packages: ${missing[*]}; run this script as root to install them" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
