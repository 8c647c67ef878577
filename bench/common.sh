# shellcheck shell=bash
# Helpers shared by the benchmark scripts; sourced, not run. The script sets `root` (the source
# tree) and `build_dir` first.
# shellcheck disable=SC2154

fail() {
  echo "bench: FAILED: $*" >&2
  exit 1
}

# Installs Debian packages a benchmark needs beyond scripts/setup.sh: at least `time` (GNU
# /usr/bin/time -v gives the peak RSS; the shell keyword does not) and `jq` (reads the JSON
# report).
install_packages() {
  local missing=() package
  for package in "$@"; do
    [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) == "install ok installed" ]] ||
      missing+=("$package")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) -eq 0 ]] || fail "missing packages: ${missing[*]}; install them or run as root"
  echo "bench: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Builds the given targets (Release) in $build_dir after scripts/setup.sh.
build_targets() {
  (($# == 0)) && return 0
  bash "$root/scripts/setup.sh"
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$build_dir" "$@" >/dev/null
}

# Seconds between two $EPOCHREALTIME readings.
elapsed() {
  awk -v start="$1" -v end="$2" 'BEGIN { printf "%.3f", end - start }'
}

rate() {
  awk -v count="$1" -v seconds="$2" 'BEGIN { printf "%.0f", count / seconds }'
}

median() {
  printf '%s\n' "$@" | sort -g | awk '{ value[NR] = $1 } END { print value[int((NR + 1) / 2)] }'
}

mib() {
  awk -v kib="$1" 'BEGIN { printf "%.1f", kib / 1024 }'
}

# Peak RSS in KiB from a `/usr/bin/time -v` output file.
peak_rss_kib() {
  awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"
}

# Warns when the machine is busy: other work skews the figures.
warn_if_busy() {
  read -r load _ </proc/loadavg
  if awk -v load="$load" -v cpus="$(nproc)" 'BEGIN { exit !(load > cpus / 2) }'; then
    echo "bench: warning: load average $load at the start; other work skews the figures"
  fi
}

# A loopback port nothing uses, TCP or UDP: random high ports until ss shows no socket on one.
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 20000))
    ss -Htuan "( sport = :$port )" | grep -q . || {
      echo "$port"
      return
    }
  done
}
