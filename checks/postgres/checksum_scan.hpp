#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pqxx/result>

#include "checks/database/compare.hpp"
#include "checks/postgres/checksum_plan.hpp"
#include "checks/postgres/pool.hpp"

// One side's scan for postgres.checksum: the segment fingerprints of every planned table, split
// over the side's connections by physical block ranges (ctid), all reading one snapshot that the
// first job exports (pg_export_snapshot) and the others import.
namespace cutover::postgres::checksum {

// What one side's scan shares between its jobs: chunks to claim, and the snapshot the first
// job exports for the others to import.
struct Scan {
  struct Chunk {
    std::size_t table = 0;
    std::string sql;
  };
  enum class Exporter { none, exporting, open, closed };

  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Chunk> chunks;
  Exporter exporter = Exporter::none;
  std::string snapshot;
  int importing = 0;
  bool failed = false;
  bool stopped = false;                     // the attempt ended: waiting jobs give up
  std::vector<database::Segments> results;  // by table
};

// The scan of `side` (0 source, 1 target) of the planned tables, in chunks for `connections`
// jobs; a recheck reads only its segments, in one chunk per table.
std::shared_ptr<Scan> plan_scan(const std::vector<EngineTable>& tables,
                                const std::vector<database::TableCompare>& compares,
                                std::size_t side, int connections);

// One of a side's scan jobs: the first to get a connection exports its snapshot; the others
// import it. Each claims chunks until none are left; the exporter keeps its transaction open
// until every job that started importing has done so.
int scan_job(Scan& scan, Session& session);

// The attempt ended: jobs waiting for one another give up.
void stop_scan(Scan& scan);

// Rows of (segment, count, sum as text) added up by segment.
database::Segments read_segments(const pqxx::result& result);

}  // namespace cutover::postgres::checksum
