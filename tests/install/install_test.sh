#!/usr/bin/env bash
# Installs the build into a fresh prefix, then checks what a user and a C++ team get from it:
# the program finds its suites there, and examples/custom_check builds against the installed
# CMake package.   usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() {
  echo "install test: $*" >&2
  exit 1
}

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || {
  cat "$work/install.log" >&2
  fail "cmake --install failed"
}

# The libraries and the CMake package are in Debian's multiarch folder, lib/x86_64-linux-gnu.
libdir=lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for file in bin/cutover share/cutover/suites/pre-cutover.yaml share/cutover/suites/sync.yaml \
  share/cutover/suites/post-cutover.yaml share/cutover/schema/cutover-suite.schema.json \
  share/man/man1/cutover.1 share/bash-completion/completions/cutover \
  share/zsh/vendor-completions/_cutover share/fish/vendor_completions.d/cutover.fish \
  share/doc/cutover/README.md \
  share/doc/cutover/QUICKSTART.md share/doc/cutover/ci/github-actions.yml \
  include/cutover/harness/check.hpp include/cutover/checks/builtin.hpp \
  include/cutover/reports/builtin.hpp "$libdir/cmake/Cutover/CutoverConfig.cmake" \
  "$libdir/cmake/Cutover/CutoverConfigVersion.cmake" "$libdir/libcutover_harness.a"; do
  [[ -e "$prefix/$file" ]] || fail "missing $file under the prefix"
done

# The installed program, run from elsewhere, finds the suites installed beside it.
(cd "$work" && "$prefix/bin/cutover" --version) | grep -q '^cutover ' || fail "cutover --version"
(cd "$work" && "$prefix/bin/cutover" demo >"$work/demo.log" 2>&1) || {
  cat "$work/demo.log" >&2
  fail "cutover demo from the prefix failed"
}

# A team's own kind, built against the installed package only.
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$source/examples/custom_check" -B "$work/custom" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}" >"$work/configure.log" 2>&1 || {
  cat "$work/configure.log" >&2
  fail "examples/custom_check does not configure against the prefix"
}
cmake --build "$work/custom" >"$work/build.log" 2>&1 || {
  cat "$work/build.log" >&2
  fail "examples/custom_check does not build against the prefix"
}
"$work/custom/cutover-custom" kinds >"$work/kinds.txt"
grep -q '^file_contains$' "$work/kinds.txt" || fail "cutover-custom does not list its kind file_contains"
printf 'host = db-new.internal\n' >"$work/app.conf"
cat >"$work/suite.yaml" <<SUITE
suite: installed
checks:
  - { name: names the new database, kind: file_contains, path: "$work/app.conf", pattern: db-new }
  - { name: names the old database, kind: file_contains, path: "$work/app.conf", pattern: db-old }
SUITE
status=0
"$work/custom/cutover-custom" run "$work/suite.yaml" >"$work/run.log" 2>&1 || status=$?
if [[ $status -ne 1 ]] || ! grep -q 'names the new database' "$work/run.log"; then
  cat "$work/run.log" >&2
  fail "cutover-custom run: expected exit 1 (one check passes, one fails), got $status"
fi
echo "install test: passed"
