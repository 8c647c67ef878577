#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checks/postgres/checksum_sql.hpp"
#include "harness/database.hpp"
#include "harness/duration.hpp"

namespace cutover::detail {

// What a postgres.checksum check compares, as its fields said.
struct ChecksumTarget {
  std::shared_ptr<const Database> source;
  std::shared_ptr<const Database> target;
  std::vector<std::string> tables;   // qualified names and globs
  std::vector<std::string> exclude;  // globs
  std::vector<std::string> columns;  // compared columns (the key always is); empty: all
  std::vector<std::string> exclude_columns;
  std::string where;                             // empty: every row
  std::optional<postgres::checksum::Mode> mode;  // empty: the fastest the servers have
  postgres::checksum::Normalisation normalisation;
  std::int64_t segment_rows = 10000;
  std::int64_t max_diffs = 100;
  std::optional<Duration> recheck;
};

}  // namespace cutover::detail
