#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checks/database/compare.hpp"
#include "checks/database/localise.hpp"
#include "checks/database/selection.hpp"
#include "harness/check.hpp"
#include "harness/duration.hpp"
#include "harness/expected.hpp"

// The table checksum of a source and a target, whatever their engines: list and select the
// tables, describe and plan each, scan both sides for segment fingerprints, compare, localise the
// differing segments, optionally recheck, report. An engine supplies the SQL and client calls
// behind ChecksumEngine; the sequence and the compare are written here once.
namespace cutover::database {

template <typename T>
using Reply = std::function<void(Expected<T>)>;

// What the checksum needs of the engines of one check. One object serves one attempt: it keeps
// its own description and plan of each table beside the engine-neutral TableCompare. `side` is 0
// for the source, 1 for the target. Each call that takes a Reply answers it once, on the event
// loop, running its jobs with `context`.
class ChecksumEngine {
 public:
  virtual ~ChecksumEngine() = default;

  // The tables of `side`.
  virtual void list_tables(CheckContext& context, std::size_t side,
                           Reply<std::vector<Table>> reply) = 0;

  // The tables the check compares, by index `t` in the calls below; called once, before
  // describe.
  virtual void select(const std::vector<Table>& tables) = 0;

  // Reads what the catalog of `side` says of table `t` (whether it exists, its columns and key,
  // its size), for plan().
  virtual void describe(CheckContext& context, std::size_t t, std::size_t side,
                        Reply<void> reply) = 0;

  // Plans table `t` from both descriptions: its problems, bucketing and whether it is compared
  // (compare.planned). An error ends the whole check (a server too old for the mode).
  virtual std::optional<std::string> plan(std::size_t t, TableCompare& compare) = 0;

  // The segment fingerprints of every planned table on `side` (only a recheck's segments, when
  // a table restricts them), by table.
  virtual void scan(CheckContext& context, std::size_t side,
                    const std::vector<TableCompare>& tables,
                    Reply<std::vector<Segments>> reply) = 0;

  // The attempt stopped: jobs of a scan waiting for one another give up.
  virtual void stop() = 0;

  // The key range [first, last] of top-level segment `bucket` of table `t`, which has an
  // integer key.
  virtual std::pair<std::int64_t, std::int64_t> integer_range(std::size_t t,
                                                              std::int64_t bucket) const = 0;

  // The compared columns of table `t`, in the order of their hashes.
  virtual const std::vector<std::string>& columns(std::size_t t) const = 0;

  // What `side` finds for a unit of localisation.
  virtual void fetch(CheckContext& context, const Work& work, std::size_t side,
                     Reply<Fetched> reply) = 0;
};

// What the check asks of the compare, whatever the engines.
struct ChecksumSettings {
  std::vector<std::string> tables{};   // qualified names and globs
  std::vector<std::string> exclude{};  // globs
  std::int64_t max_diffs = 100;
  std::optional<Duration> recheck{};
};

// Starts one attempt of a table checksum through `engine`; `done` is called once.
void start_checksum(std::shared_ptr<ChecksumEngine> engine, ChecksumSettings settings,
                    CheckContext& context, Completion done);

}  // namespace cutover::database
