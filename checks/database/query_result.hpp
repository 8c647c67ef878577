#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "harness/duration.hpp"

// What a query check reads of a result, whatever the engine.
namespace cutover::database {

// More rows than a query check compares in memory; whole tables are the checksum's job.
inline constexpr std::size_t kMaxRows = 100000;

// One row as the server's text; nullopt for NULL.
using Row = std::vector<std::optional<std::string>>;

struct QueryResult {
  std::size_t columns = 0;
  std::vector<Row> rows;
  Duration elapsed{};
};

}  // namespace cutover::database
