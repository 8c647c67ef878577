#!/usr/bin/env bash
# Time and memory of a full `postgres.checksum` of a 10-million-row table pair, against the
# fingerprints people push down by hand, all measured in the same run on the same cluster.
#
#   bash bench/postgres_checksum.sh
#
# Starts a throwaway PostgreSQL cluster (initdb, as the postgres user) on a free port of
# 127.0.0.1, loads ROWS rows into database `source` (bigint key, text, numeric(12,2),
# timestamptz, boolean, float8, nullable text, small jsonb), copies it to `target` (CREATE
# DATABASE ... TEMPLATE), and measures, each run on both databases at once, RUNS times:
#   count      SELECT count(*)                                        (the scan floor)
#   hre        sum(hash_record_extended(t, 0))                        (fastest single query)
#   md5        sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint)  (table-diff tools)
#   hashtext   sum(hashtextextended(t::text, 0))
#   cutover    cutover run of one postgres.checksum check of the pair (whole process)
# then changes ROWS_CHANGED rows on the target and runs cutover again (it must name them), and
# tries md5(string_agg(t::text, '' ORDER BY id)) once. Prints medians and the ratios the
# targets are stated in. Fails (exit 1) if a check gives the wrong verdict; with STRICT=1 a
# missed target fails too.
#
# Environment (all optional):
#   CUTOVER       cutover binary to measure; default: built in BUILD_DIR (Release)
#   BUILD_DIR     build tree, default build-bench
#   ROWS          rows in the table, default 10000000
#   ROWS_CHANGED  rows changed on the target for the second measurement, default 10
#   RUNS          measurements of each, default 3; the figures are the medians
#   STRICT        1: exit 1 when a target is missed
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly root
# shellcheck source=bench/common.sh
source "$root/bench/common.sh"
readonly out="$root/bench/out/postgres"
readonly build_dir=${BUILD_DIR:-$root/build-bench}
readonly rows=${ROWS:-10000000}
readonly rows_changed=${ROWS_CHANGED:-10}
readonly runs=${RUNS:-3}
readonly strict=${STRICT:-0}
readonly target_hre_ratio=1.2   # cutover at most this many times the hre baseline
readonly target_md5_ratio=3     # md5 baseline at least this many times cutover
readonly target_diff_ratio=1.2  # finding the changed rows at most this many times a clean run
readonly target_rss_mib=100

pg_bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -1)
readonly pg_bin
cluster=
port=
as_postgres() { runuser -u postgres -- "$@"; }

stop_cluster() {
  if [[ -n $cluster && -f $cluster/data/postmaster.pid ]]; then
    as_postgres "$pg_bin/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null || true
  fi
  [[ -n $cluster ]] && rm -rf "$cluster"
  cluster=
}
trap stop_cluster EXIT

start_cluster() {
  cluster=$(mktemp -d /tmp/cutover-bench-pg.XXXXXX)
  chown postgres "$cluster"
  port=$(free_port)
  as_postgres "$pg_bin/initdb" -D "$cluster/data" -A trust -U postgres >/dev/null
  # fsync off speeds up loading only; reads are what is measured. Parallel query as shipped:
  # max_parallel_workers_per_gather = 2.
  as_postgres "$pg_bin/pg_ctl" -D "$cluster/data" -l "$cluster/log" -w -o \
    "-p $port -k $cluster -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
     -c max_wal_size=4GB -c max_parallel_workers_per_gather=2" start >/dev/null
}

psql_in() {
  local database=$1
  shift
  psql -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$database" "$@"
}

load() {
  echo "bench: loading $rows rows into source, copying to target"
  psql_in postgres -c "CREATE DATABASE source"
  psql_in source -c "CREATE TABLE t (id bigint PRIMARY KEY, name text, amount numeric(12,2),
      created timestamptz, active boolean, score float8, note text, attrs jsonb)" \
    -c "INSERT INTO t SELECT g, 'customer ' || g, (g % 100000) / 100.0,
      timestamptz '2020-01-01' + g * interval '1 second', g % 3 = 0, g / 7.0,
      CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || (g % 1000) END,
      jsonb_build_object('k', g % 10, 'tag', 't' || (g % 3))
      FROM generate_series(1, $rows) g" \
    -c "VACUUM ANALYZE t"
  psql_in postgres -c "CREATE DATABASE target TEMPLATE source"
}

# Seconds for `sql` run on source and target at once.
both() {
  local sql=$1 start end
  start=$EPOCHREALTIME
  psql_in source -c "$sql" >/dev/null &
  psql_in target -c "$sql" >/dev/null
  wait $!
  end=$EPOCHREALTIME
  elapsed "$start" "$end"
}

write_suite() {
  local mode=$1
  cat >"$out/suite-$mode.yaml" <<EOF
suite: checksum benchmark
databases:
  source: { dsn: "host=127.0.0.1 port=$port user=postgres dbname=source" }
  target: { dsn: "host=127.0.0.1 port=$port user=postgres dbname=target" }
checks:
  - { name: t intact, kind: postgres.checksum, source: source, target: target, tables: [t],
      mode: $mode, timeout: 30m }
EOF
}

# Runs cutover on the suite of `mode`; prints "seconds peak_kib outcome message".
cutover_run() {
  local mode=$1 report="$out/report-$1.json" usage="$out/usage-$1.txt" start end
  start=$EPOCHREALTIME
  /usr/bin/time -v -o "$usage" "$cutover" run "$out/suite-$mode.yaml" -q --json "$report" \
    >/dev/null 2>&1 || true
  end=$EPOCHREALTIME
  printf '%s %s %s %s\n' "$(elapsed "$start" "$end")" "$(peak_rss_kib "$usage")" \
    "$(jq -r '.checks[0].outcome' "$report")" "$(jq -r '.checks[0].message' "$report")"
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

main() {
  [[ $(id -u) -eq 0 ]] || fail "run as root (the cluster runs as the postgres user)"
  install_packages time jq postgresql
  if [[ -z ${CUTOVER:-} ]]; then
    build_targets cutover
    cutover=$build_dir/cutover
  else
    cutover=$CUTOVER
  fi
  mkdir -p "$out"
  warn_if_busy
  start_cluster
  load
  write_suite native
  write_suite canonical
  both "SELECT count(*) FROM t" >/dev/null  # warm the page cache

  local -a count hre md5 hashtext clean clean_rss diff diff_rss
  local run line seconds kib outcome message
  for ((run = 1; run <= runs; run++)); do
    count+=("$(both "SELECT count(*) FROM t")")
    hre+=("$(both "SELECT sum(hash_record_extended(t, 0)) FROM t")")
    md5+=("$(both "SELECT sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint) FROM t")")
    hashtext+=("$(both "SELECT sum(hashtextextended(t::text, 0)) FROM t")")
    read -r seconds kib outcome message <<<"$(cutover_run native)"
    [[ $outcome == passed ]] || fail "the identical pair did not pass: $outcome: $message"
    clean+=("$seconds")
    clean_rss+=("$kib")
    echo "bench: run $run: count ${count[-1]}s, hre ${hre[-1]}s, md5 ${md5[-1]}s," \
      "hashtext ${hashtext[-1]}s, cutover ${seconds}s"
  done
  read -r seconds kib outcome message <<<"$(cutover_run canonical)"
  [[ $outcome == passed ]] || fail "canonical mode did not pass: $outcome: $message"
  local canonical=$seconds

  psql_in target -c "UPDATE t SET note = 'changed' WHERE id IN (SELECT (g * ($rows / ($rows_changed + 1)))::bigint FROM generate_series(1, $rows_changed) g)"
  for ((run = 1; run <= runs; run++)); do
    read -r seconds kib outcome message <<<"$(cutover_run native)"
    [[ $outcome == failed && $message == "public.t: $rows_changed rows changed (note $rows_changed)" ]] ||
      fail "the changed rows were not found: $outcome: $message"
    diff+=("$seconds")
    diff_rss+=("$kib")
    echo "bench: run $run with $rows_changed changed rows: cutover ${seconds}s"
  done

  local string_agg
  if string_agg=$(psql_in source -c "SELECT md5(string_agg(t::text, '' ORDER BY id)) FROM t" 2>&1); then
    string_agg="finished: $string_agg"
  else
    string_agg="failed: ${string_agg//$'\n'/ }"
  fi

  local m_count m_hre m_md5 m_hashtext m_clean m_diff rss
  m_count=$(median "${count[@]}")
  m_hre=$(median "${hre[@]}")
  m_md5=$(median "${md5[@]}")
  m_hashtext=$(median "${hashtext[@]}")
  m_clean=$(median "${clean[@]}")
  m_diff=$(median "${diff[@]}")
  rss=$(mib "$(printf '%s\n' "${clean_rss[@]}" "${diff_rss[@]}" | sort -g | tail -1)")

  local hre_ratio md5_ratio diff_ratio missed=0
  hre_ratio=$(ratio "$m_clean" "$m_hre")
  md5_ratio=$(ratio "$m_md5" "$m_clean")
  diff_ratio=$(ratio "$m_diff" "$m_clean")
  cat <<EOF

$rows rows, both databases at once, medians of $runs runs ($(nproc) CPUs, $("$pg_bin/postgres" --version)):
  count(*)                        ${m_count}s
  hash_record_extended sum        ${m_hre}s
  md5 row-hash sum                ${m_md5}s
  hashtextextended sum            ${m_hashtext}s
  cutover postgres.checksum       ${m_clean}s  (= $(ratio "$m_clean" "$m_count") x count(*))
  cutover, $rows_changed rows changed     ${m_diff}s
  cutover, mode canonical         ${canonical}s (one run)
  md5(string_agg(...)), source    $string_agg

  cutover / hash_record_extended  ${hre_ratio}  (target <= $target_hre_ratio)
  md5 row-hash sum / cutover      ${md5_ratio}  (target >= $target_md5_ratio)
  changed rows / clean compare    ${diff_ratio}  (target <= $target_diff_ratio)
  peak RSS of cutover             ${rss} MiB  (target < $target_rss_mib MiB)
EOF
  awk -v r="$hre_ratio" -v t="$target_hre_ratio" 'BEGIN { exit !(r > t) }' && missed=1
  awk -v r="$md5_ratio" -v t="$target_md5_ratio" 'BEGIN { exit !(r < t) }' && missed=1
  awk -v r="$diff_ratio" -v t="$target_diff_ratio" 'BEGIN { exit !(r > t) }' && missed=1
  awk -v r="$rss" -v t="$target_rss_mib" 'BEGIN { exit !(r >= t) }' && missed=1
  if ((missed)); then
    echo "bench: a target was missed"
    ((strict)) && exit 1
  fi
  return 0
}

main "$@"
