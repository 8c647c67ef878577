#!/usr/bin/env bash
# Makes the Debian packages from the build (as scripts/package.sh does from its Release build),
# unpacks cutover's with dpkg-deb -x, and runs the program from there: --version, and the demo
# with the suites the package installs.   usage: package_test.sh BUILD_DIR
set -euo pipefail
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "package test: $*" >&2
  exit 1
}

(cd "$build" && cpack -G DEB -B "$work/packages" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log" >&2
  fail "cpack failed"
}
shopt -s nullglob
debs=("$work"/packages/cutover_*_amd64.deb)
devs=("$work"/packages/cutover-dev_*_amd64.deb)
dbgsyms=("$work"/packages/cutover-dbgsym_*_amd64.ddeb)
((${#debs[@]} == 1)) || fail "expected one cutover_<version>_amd64.deb, got ${#debs[@]}"
((${#devs[@]} == 1)) || fail "expected one cutover-dev_<version>_amd64.deb"
((${#dbgsyms[@]} == 1)) || fail "expected one cutover-dbgsym_<version>_amd64.ddeb"

# Depends come from dpkg-shlibdeps: the libraries the program links, with their versions.
depends=$(dpkg-deb -f "${debs[0]}" Depends)
for library in libc6 libstdc++6 libssl3 libpqxx libc-ares2 libyaml; do
  [[ "$depends" == *"$library"* ]] || fail "Depends lacks $library: $depends"
done
dpkg-deb -c "${devs[0]}" >"$work/dev-files"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
grep -q "usr/lib/$multiarch/cmake/Cutover/CutoverConfig.cmake\$" "$work/dev-files" ||
  fail "cutover-dev lacks the CMake package in /usr/lib/$multiarch"
grep -q "usr/lib/$multiarch/libcutover_harness.a\$" "$work/dev-files" ||
  fail "cutover-dev lacks the libraries in /usr/lib/$multiarch"

dpkg-deb -x "${debs[0]}" "$work/root"
[[ -s "$work/root/usr/share/cutover/schema/cutover-suite.schema.json" ]] ||
  fail "the package lacks /usr/share/cutover/schema/cutover-suite.schema.json"
# The man page renders, and documents every command with its options.
LC_ALL=C MANWIDTH=200 man -l "$work/root/usr/share/man/man1/cutover.1" >"$work/man.txt" 2>"$work/man.err" || {
  cat "$work/man.err" >&2
  fail "the man page does not render"
}
for text in "cutover run [OPTIONS] files" "--junit FILE" "cutover merge" "EXIT STATUS"; do
  grep -qF -- "$text" "$work/man.txt" || fail "the man page lacks '$text'"
done
program=$work/root/usr/bin/cutover
readelf -S "$program" >"$work/sections"
if grep -q '\.debug_info' "$work/sections"; then
  fail "the packaged program is not stripped"
fi
(cd "$work" && "$program" --version) | grep -q '^cutover ' || fail "cutover --version"
(cd "$work" && "$program" demo >"$work/demo.log" 2>&1) || {
  cat "$work/demo.log" >&2
  fail "cutover demo from the unpacked package failed"
}
echo "package test: passed ($(dpkg-deb -f "${debs[0]}" Package) $(dpkg-deb -f "${debs[0]}" Version))"
