#!/usr/bin/env bash
# The start-up cost of the packaged program: `cutover --version` against `curl --version`, and a
# one-check run (an http check of a loopback server) against one curl request to the same
# server, timed by hyperfine in one paired run. Also prints the package and installed sizes.
#   usage: bash bench/startup.sh   (builds the packages with scripts/package.sh first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=$root/build-release
# shellcheck source=bench/common.sh
source "$root/bench/common.sh"

install_packages hyperfine curl python3 jq
bash "$root/scripts/package.sh" >/dev/null
out=$root/bench/out/startup
rm -rf "$out" && mkdir -p "$out/root" "$out/www"
deb=$(ls "$build_dir"/cutover_*_amd64.deb)
dpkg-deb -x "$deb" "$out/root"
cutover=$out/root/usr/bin/cutover

echo ok >"$out/www/health"
python3 -m http.server 0 --bind 127.0.0.1 --directory "$out/www" >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
port=""
for _ in $(seq 50); do
  port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$out/server.log" | head -1)
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || fail "the loopback HTTP server did not start"
cat >"$out/one.yaml" <<SUITE
suite: one
checks:
  - { name: health, kind: http, url: "http://127.0.0.1:$port/health", status: 200 }
SUITE
"$cutover" run "$out/one.yaml" >/dev/null || fail "the one-check run did not pass"

warn_if_busy
hyperfine -N --warmup 5 --runs 100 --export-json "$out/hyperfine.json" \
  "curl --version" "$cutover --version" \
  "curl -sf -o /dev/null http://127.0.0.1:$port/health" "$cutover run $out/one.yaml" >/dev/null
mean() { jq -r ".results[$1].mean * 1000" "$out/hyperfine.json"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-44s %8s %8s\n' "" "ms" "ratio"
printf '%-44s %8.1f %8s\n' "curl --version (baseline)" "$(mean 0)" "1.00"
printf '%-44s %8.1f %8s\n' "cutover --version" "$(mean 1)" "$(ratio "$(mean 1)" "$(mean 0)")"
printf '%-44s %8.1f %8s\n' "curl, one request (baseline)" "$(mean 2)" "1.00"
printf '%-44s %8.1f %8s\n' "cutover run, one http check" "$(mean 3)" "$(ratio "$(mean 3)" "$(mean 2)")"
printf 'package %s: %s bytes; Installed-Size %s KiB; program %s bytes\n' "$(basename "$deb")" \
  "$(stat -c %s "$deb")" "$(dpkg-deb -f "$deb" Installed-Size)" "$(stat -c %s "$cutover")"
