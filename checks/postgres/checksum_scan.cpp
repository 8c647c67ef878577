#include "checks/postgres/checksum_scan.hpp"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>
#include <pqxx/transaction>

namespace cutover::postgres::checksum {

namespace {

constexpr int kNativeHashVersion = 140000;  // TID range scans
// A scan chunk covers at least this many pages (2 MiB), at most 4 per connection.
constexpr std::int64_t kMinChunkPages = 256;
constexpr int kChunksPerConnection = 4;

using ReadOnlySnapshot = pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::read_only>;

// Opens the job's side of the snapshot: exports it (the first job) or imports it.
void share_snapshot(Scan& scan, ReadOnlySnapshot& transaction, bool exporter,
                    std::unique_lock<std::mutex>& lock, bool& importing) {
  if (exporter) {
    const std::string snapshot = transaction.exec1("SELECT pg_export_snapshot()")[0].c_str();
    lock.lock();
    scan.snapshot = snapshot;
    scan.exporter = Scan::Exporter::open;
    scan.changed.notify_all();
    lock.unlock();
    return;
  }
  lock.lock();
  const std::string snapshot = scan.snapshot;
  lock.unlock();
  transaction.exec("SET TRANSACTION SNAPSHOT " + quote_literal(snapshot));
  lock.lock();
  --scan.importing;
  importing = false;
  scan.changed.notify_all();
  lock.unlock();
}

// Claims and scans chunks until none are left (or the scan failed or stopped).
void scan_chunks(Scan& scan, ReadOnlySnapshot& transaction, std::unique_lock<std::mutex>& lock) {
  for (;;) {
    lock.lock();
    if (scan.chunks.empty() || scan.failed || scan.stopped) {
      lock.unlock();
      return;
    }
    Scan::Chunk chunk = std::move(scan.chunks.front());
    scan.chunks.pop_front();
    lock.unlock();
    database::Segments segments = read_segments(transaction.exec(chunk.sql));
    lock.lock();
    database::add_segments(scan.results[chunk.table], segments);
    lock.unlock();
  }
}

}  // namespace

database::Segments read_segments(const pqxx::result& result) {
  database::Segments segments;
  for (const auto& row : result) {
    if (row[0].is_null()) {
      throw JobError(
          "a row has NULL in its key columns (the source's key is not NOT NULL on this side)");
    }
    database::Aggregate& aggregate = segments[row[0].as<std::int64_t>()];
    aggregate.count += row[1].as<std::int64_t>();
    aggregate.sum += database::parse_sum(row[2].c_str());
  }
  return segments;
}

std::shared_ptr<Scan> plan_scan(const std::vector<EngineTable>& tables,
                                const std::vector<database::TableCompare>& compares,
                                std::size_t side, int connections) {
  auto scan = std::make_shared<Scan>();
  scan->results.resize(tables.size());
  for (std::size_t t = 0; t < tables.size(); ++t) {
    const database::TableCompare& compare = compares[t];
    if (!compare.planned) continue;
    const TablePlan& plan = tables[t].plan;
    const TableInfo& info = tables[t].info[side];
    std::string restriction = "TRUE";  // a recheck's segments
    if (!compare.restrict_to.empty()) {
      restriction = segment_condition(
          plan, side == 1,
          std::vector<std::int64_t>(compare.restrict_to.begin(), compare.restrict_to.end()));
    }
    std::int64_t chunks = 1;
    if (info.server_version >= kNativeHashVersion && compare.restrict_to.empty()) {
      chunks = std::clamp<std::int64_t>(info.pages / kMinChunkPages, 1,
                                        std::int64_t{kChunksPerConnection} * connections);
    }
    const std::int64_t pages = std::max<std::int64_t>(info.pages, 1);
    for (std::int64_t c = 0; c < chunks; ++c) {
      std::string chunk = "TRUE";
      if (c > 0) chunk += fmt::format(" AND ctid >= '({},0)'::tid", pages * c / chunks);
      if (c + 1 < chunks)
        chunk += fmt::format(" AND ctid < '({},0)'::tid", pages * (c + 1) / chunks);
      scan->chunks.push_back({t, scan_sql(plan, side == 1, chunk, restriction)});
    }
  }
  return scan;
}

int scan_job(Scan& scan, Session& session) {
  std::unique_lock lock(scan.mutex);
  if (scan.chunks.empty() || scan.failed || scan.stopped) return 0;
  const bool exporter = scan.exporter == Scan::Exporter::none;
  if (exporter) {
    scan.exporter = Scan::Exporter::exporting;
  } else {
    if (!scan.changed.wait_until(lock, session.deadline(), [&scan] {
          return scan.exporter != Scan::Exporter::exporting || scan.failed || scan.stopped;
        })) {
      throw JobError("timed out waiting for the snapshot to import");
    }
    if (scan.exporter != Scan::Exporter::open || scan.failed || scan.stopped) return 0;
    ++scan.importing;
  }
  lock.unlock();

  bool importing = !exporter;
  try {
    ReadOnlySnapshot transaction(session.connection());
    share_snapshot(scan, transaction, exporter, lock, importing);
    scan_chunks(scan, transaction, lock);
    if (exporter) {
      lock.lock();
      if (!scan.changed.wait_until(lock, session.deadline(), [&scan] {
            return scan.importing == 0 || scan.failed || scan.stopped;
          })) {
        throw JobError("timed out waiting for the other connections to import the snapshot");
      }
      scan.exporter = Scan::Exporter::closed;
      lock.unlock();
    }
    transaction.commit();
  } catch (...) {
    if (!lock.owns_lock()) lock.lock();
    scan.failed = true;
    if (exporter) scan.exporter = Scan::Exporter::closed;
    if (importing) --scan.importing;
    scan.changed.notify_all();
    throw;
  }
  return 0;
}

void stop_scan(Scan& scan) {
  std::lock_guard lock(scan.mutex);
  scan.stopped = true;
  scan.changed.notify_all();
}

}  // namespace cutover::postgres::checksum
