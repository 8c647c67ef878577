#include "checks/postgres/checksum.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/asio/steady_timer.hpp>
#include <pqxx/result>
#include <pqxx/transaction>

#include "checks/postgres/checksum_sql.hpp"
#include "checks/postgres/pool.hpp"
#include "checks/postgres/tables.hpp"
#include "harness/duration.hpp"
#include "harness/text.hpp"

namespace cutover {

namespace detail {

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

}  // namespace detail

namespace {

namespace sql = postgres::checksum;
using detail::ChecksumTarget;
using postgres::Table;
using sql::Bucketing;
using Int128 = __int128;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kDefaultSegmentRows = 10000;
constexpr std::int64_t kDefaultMaxDiffs = 100;
// A differing integer segment is split into this many parts per step...
constexpr std::int64_t kRefineParts = 16;
// ...until it has at most this many rows on each side; then its rows' hashes are fetched.
constexpr std::int64_t kLeafRows = 1000;
// Differing segments of other keys fetched per query.
constexpr std::size_t kSegmentsPerFetch = 8;
// Localisation queries in flight at once (each on both sides); bounds the memory they hold.
constexpr std::size_t kLocalisingAtOnce = 4;
// A scan chunk covers at least this many pages (2 MiB), at most 4 per connection.
constexpr std::int64_t kMinChunkPages = 256;
constexpr int kChunksPerConnection = 4;
// Segments per table at most (a table of 10 billion rows has segments of 100,000 rows).
constexpr std::int64_t kMaxSegments = 100'000;
// Keyless tables: at most 2^kMaxHashBits segments.
constexpr int kMaxHashBits = 16;
constexpr int kNativeHashVersion = 140000;  // hash_record_extended, TID range scans
constexpr int kTrimScaleVersion = 130000;
constexpr std::size_t kNamedInMessage = 3;

// A numeric's text, exactly, as a 128-bit integer (sums of at most 2^64 64-bit values fit).
Int128 parse_sum(std::string_view text) {
  Int128 value = 0;
  bool negative = false;
  for (char c : text) {
    if (c == '-') {
      negative = true;
    } else if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
    }
  }
  return negative ? -value : value;
}

struct Aggregate {
  std::int64_t count = 0;
  Int128 sum = 0;

  bool operator==(const Aggregate&) const = default;
};
using Segments = std::map<std::int64_t, Aggregate>;

Segments read_segments(const pqxx::result& result) {
  Segments segments;
  for (const auto& row : result) {
    if (row[0].is_null()) {
      throw postgres::JobError(
          "a row has NULL in its key columns (the source's key is not NOT NULL on this side)");
    }
    Aggregate& aggregate = segments[row[0].as<std::int64_t>()];
    aggregate.count += row[1].as<std::int64_t>();
    aggregate.sum += parse_sum(row[2].c_str());
  }
  return segments;
}

enum class DiffKind { missing, extra, changed };

struct Diff {
  std::string key{};  // id=5, (a, b)=(1, 'x')
  DiffKind kind = DiffKind::changed;
  std::vector<std::string> columns{};  // changed ones
};

// One fetched row: its key rendering, row hash and column hashes.
struct RowHashes {
  std::string key{};
  std::string hash{};
  std::vector<std::optional<std::string>> columns{};
};

// A unit of localisation: both sides run the same kind of query on one part of a table.
struct Work {
  enum class Type { refine, rows, hash_counts } type = Type::rows;
  std::size_t table = 0;
  std::int64_t first = 0;  // refine, and rows of an integer key: the key range
  std::int64_t last = 0;
  std::vector<std::int64_t> buckets{};  // rows of other keys, hash_counts
  // Rows on one side only: the counts are already known, the query fetches examples.
  std::optional<DiffKind> one_sided{};
  std::int64_t limit = 0;
};

struct TableState {
  std::string name;  // schema.name
  Table table;
  std::array<sql::TableInfo, 2> info;
  std::vector<std::string> problems;  // missing table or columns, no key on the target
  bool planned = false;
  sql::TablePlan plan;
  std::array<Segments, 2> segments;
  std::set<std::int64_t> restrict_to;  // a recheck's segments; empty: all
  std::array<std::int64_t, 2> rows{};
  std::int64_t missing = 0;
  std::int64_t extra = 0;
  std::int64_t changed = 0;
  std::map<std::string, std::int64_t> changed_columns;
  std::vector<Diff> examples;
  std::vector<std::int64_t> differing;  // top-level segments that differed
  bool unexplained = false;             // a segment differed, its rows did not
};

// Natural order of keys: numbers by value, then text.
bool key_less(const std::string& a, const std::string& b) {
  const auto number = [](const std::string& key) -> std::optional<long double> {
    const std::size_t equals = key.rfind('=');
    const std::string value = equals == std::string::npos ? key : key.substr(equals + 1);
    if (value.empty() || value.find_first_not_of("-0123456789") != std::string::npos)
      return std::nullopt;
    return std::stold(value);
  };
  const auto left = number(a);
  const auto right = number(b);
  if (left && right && *left != *right) return *left < *right;
  return a < b;
}

std::string key_display(const std::vector<std::string>& key, const pqxx::row& row) {
  std::vector<std::string> values;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const auto& field = row[static_cast<pqxx::row::size_type>(i)];
    values.push_back(postgres::display_value(
        field.is_null() ? std::nullopt : std::optional<std::string>(field.c_str())));
  }
  if (key.size() == 1) return key.front() + "=" + values.front();
  return fmt::format("({})=({})", fmt::join(key, ", "), fmt::join(values, ", "));
}

std::vector<RowHashes> read_rows(const std::vector<std::string>& key, std::size_t columns,
                                 const pqxx::result& result) {
  std::vector<RowHashes> rows;
  rows.reserve(result.size());
  for (const auto& row : result) {
    RowHashes out;
    out.key = key_display(key, row);
    out.hash = row[static_cast<pqxx::row::size_type>(key.size())].c_str();
    for (std::size_t c = 0; c < columns; ++c) {
      const auto& field = row[static_cast<pqxx::row::size_type>(key.size() + 1 + c)];
      out.columns.push_back(field.is_null() ? std::nullopt
                                            : std::optional<std::string>(field.c_str()));
    }
    rows.push_back(std::move(out));
  }
  return rows;
}

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
  bool stopped = false;           // the attempt ended: waiting jobs give up
  std::vector<Segments> results;  // by table
};

using ReadOnlySnapshot = pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::read_only>;

// One of a side's scan jobs: the first to get a connection exports its snapshot; the others
// import it. Each claims chunks until none are left; the exporter keeps its transaction open
// until every job that started importing has done so.
int scan_job(Scan& scan, postgres::Session& session) {
  std::unique_lock lock(scan.mutex);
  if (scan.chunks.empty() || scan.failed || scan.stopped) return 0;
  const bool exporter = scan.exporter == Scan::Exporter::none;
  if (exporter) {
    scan.exporter = Scan::Exporter::exporting;
  } else {
    if (!scan.changed.wait_until(lock, session.deadline(), [&scan] {
          return scan.exporter != Scan::Exporter::exporting || scan.failed || scan.stopped;
        })) {
      throw postgres::JobError("timed out waiting for the snapshot to import");
    }
    if (scan.exporter != Scan::Exporter::open || scan.failed || scan.stopped) return 0;
    ++scan.importing;
  }
  lock.unlock();

  bool importing = !exporter;
  try {
    ReadOnlySnapshot transaction(session.connection());
    if (exporter) {
      const std::string snapshot = transaction.exec1("SELECT pg_export_snapshot()")[0].c_str();
      lock.lock();
      scan.snapshot = snapshot;
      scan.exporter = Scan::Exporter::open;
      scan.changed.notify_all();
      lock.unlock();
    } else {
      lock.lock();
      const std::string snapshot = scan.snapshot;
      lock.unlock();
      transaction.exec("SET TRANSACTION SNAPSHOT " + postgres::quote_literal(snapshot));
      lock.lock();
      --scan.importing;
      importing = false;
      scan.changed.notify_all();
      lock.unlock();
    }
    for (;;) {
      lock.lock();
      if (scan.chunks.empty() || scan.failed || scan.stopped) {
        lock.unlock();
        break;
      }
      Scan::Chunk chunk = std::move(scan.chunks.front());
      scan.chunks.pop_front();
      lock.unlock();
      Segments segments = read_segments(transaction.exec(chunk.sql));
      lock.lock();
      Segments& into = scan.results[chunk.table];
      for (const auto& [bucket, aggregate] : segments) {
        Aggregate& total = into[bucket];
        total.count += aggregate.count;
        total.sum += aggregate.sum;
      }
      lock.unlock();
    }
    if (exporter) {
      lock.lock();
      if (!scan.changed.wait_until(lock, session.deadline(), [&scan] {
            return scan.importing == 0 || scan.failed || scan.stopped;
          })) {
        throw postgres::JobError(
            "timed out waiting for the other connections to import the "
            "snapshot");
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

const char* side_name(std::size_t side) {
  return side == 0 ? "source" : "target";
}

// One attempt: list and describe the tables on both sides, plan each, scan both sides for
// segment fingerprints, localise the differing segments, optionally recheck, report.
class ChecksumAttempt : public std::enable_shared_from_this<ChecksumAttempt> {
 public:
  ChecksumAttempt(std::shared_ptr<const ChecksumTarget> target, CheckContext& context,
                  Completion done)
      : target_(std::move(target)),
        context_(context),
        done_(std::move(done)),
        databases_{target_->source, target_->target},
        timer_(context.io) {}

  void start() {
    context_.cancellation->on_cancel([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->finish(CheckResult::error("cancelled"));
    });
    if (finished_) return;
    pending_ = 2;
    for (std::size_t side = 0; side < 2; ++side) {
      postgres::run<std::vector<Table>>(
          context_, databases_[side], postgres::list_tables,
          [self = shared_from_this(), side](Expected<std::vector<Table>> tables) {
            if (self->finished_) return;
            if (!tables) return self->fail(side, tables.error());
            self->listed_[side] = std::move(tables).value();
            if (--self->pending_ == 0) self->describe();
          });
    }
  }

 private:
  void fail(std::size_t side, const Error& error) {
    finish(CheckResult::error(fmt::format("{}: {}", side_name(side), error.message)));
  }

  void describe() {
    postgres::TableSelection selection =
        postgres::select_tables(target_->tables, target_->exclude, {&listed_[0], &listed_[1]});
    unmatched_ = std::move(selection.unmatched);
    for (const std::string& name : selection.names) {
      TableState state;
      state.name = name;
      const std::size_t dot = name.find('.');
      state.table = {name.substr(0, dot), name.substr(dot + 1)};
      tables_.push_back(std::move(state));
    }
    pending_ = tables_.size() * 2;
    if (pending_ == 0) return report();
    for (std::size_t t = 0; t < tables_.size(); ++t) {
      for (std::size_t side = 0; side < 2; ++side) {
        postgres::run<sql::TableInfo>(
            context_, databases_[side],
            [table = tables_[t].table, where = where(),
             rows = target_->segment_rows](postgres::Session& session) {
              return sql::describe_table(session, table, where, rows);
            },
            [self = shared_from_this(), t, side](Expected<sql::TableInfo> info) {
              if (self->finished_) return;
              if (!info) return self->fail(side, info.error());
              self->tables_[t].info[side] = std::move(info).value();
              if (--self->pending_ == 0) self->plan();
            });
      }
    }
  }

  std::string where() const { return target_->where.empty() ? "TRUE" : target_->where; }

  bool compared_column(const std::string& name, const std::vector<std::string>& key) const {
    if (std::find(key.begin(), key.end(), name) != key.end()) return true;
    if (!target_->columns.empty() && std::find(target_->columns.begin(), target_->columns.end(),
                                               name) == target_->columns.end()) {
      return false;
    }
    return std::find(target_->exclude_columns.begin(), target_->exclude_columns.end(), name) ==
           target_->exclude_columns.end();
  }

  void plan() {
    for (TableState& state : tables_) {
      const auto& [source, target] = state.info;
      if (!source.exists || !target.exists) {
        state.problems.push_back(
            !source.exists && !target.exists
                ? "missing on source and target"
                : fmt::format("missing on {}", source.exists ? "target" : "source"));
        continue;
      }
      const int version = std::min(source.server_version, target.server_version);
      sql::Mode mode = target_->mode.value_or(version >= kNativeHashVersion ? sql::Mode::native
                                                                            : sql::Mode::canonical);
      if (mode == sql::Mode::native && version < kNativeHashVersion) {
        return finish(CheckResult::error(
            "mode native needs PostgreSQL 14 or later on both sides (hash_record_extended); use "
            "mode: canonical"));
      }
      if (mode == sql::Mode::canonical && version < kTrimScaleVersion) {
        return finish(CheckResult::error("postgres.checksum needs PostgreSQL 13 or later"));
      }
      sql::TablePlan& plan = state.plan;
      plan.table = state.table.sql();
      plan.where = where();
      plan.key = source.key;
      std::set<std::string> names;
      for (std::size_t side = 0; side < 2; ++side) {
        for (const sql::Column& column : state.info[side].columns) {
          if (!compared_column(column.name, plan.key)) continue;
          names.insert(column.name);
        }
      }
      const auto has = [](const sql::TableInfo& info, const std::string& name) {
        return sql::find_column(info.columns, name) != nullptr;
      };
      for (const std::string& name : names) {
        if (has(source, name) && has(target, name)) {
          plan.columns.push_back(name);
        } else {
          state.problems.push_back(fmt::format("column {} missing on {}", name,
                                               has(source, name) ? "target" : "source"));
        }
      }
      for (const std::string& wanted : target_->columns) {
        if (!has(source, wanted) && !has(target, wanted))
          state.problems.push_back(fmt::format("no column {} on source or target", wanted));
      }
      for (const std::string& key : plan.key) {
        if (!has(target, key)) plan.key.clear();
      }
      if (plan.columns.empty() && (!source.columns.empty() || !target.columns.empty())) {
        state.problems.push_back("no columns left to compare (columns, exclude_columns)");
        continue;
      }
      sql::build_expressions(plan, source.columns, target.columns, mode, target_->normalisation);

      const double rows = std::max({source.estimated_rows, target.estimated_rows, 1.0});
      // Memory holds a few dozen bytes per segment: past kMaxSegments, segments grow instead.
      const auto segments = std::min<std::int64_t>(
          kMaxSegments,
          static_cast<std::int64_t>(std::ceil(rows / static_cast<double>(target_->segment_rows))));
      // The key's first column, on both sides (a key column missing on the target left none).
      const sql::Column* source_key =
          plan.key.empty() ? nullptr : sql::find_column(source.columns, plan.key.front());
      const sql::Column* target_key =
          plan.key.empty() ? nullptr : sql::find_column(target.columns, plan.key.front());
      if (plan.key.empty()) {
        plan.bucketing = Bucketing::hashed;
        plan.hash_bits = 0;
        while (plan.hash_bits < kMaxHashBits && (std::int64_t{1} << plan.hash_bits) < segments)
          ++plan.hash_bits;
      } else if (plan.key.size() == 1 && sql::is_integer_type(source_key->base) &&
                 sql::is_integer_type(target_key->base)) {
        plan.bucketing = Bucketing::integer;
        std::int64_t low = 0;
        std::int64_t high = 0;
        bool any = false;
        for (const sql::TableInfo* info : {&source, &target}) {
          if (!info->min_key) continue;
          low = any ? std::min(low, *info->min_key) : *info->min_key;
          high = any ? std::max(high, *info->max_key) : *info->max_key;
          any = true;
        }
        const Int128 span = static_cast<Int128>(high) - low + 1;
        // Segments start at the lowest key, unless key - low could overflow a bigint.
        plan.offset = span <= std::numeric_limits<std::int64_t>::max() ? low : 0;
        const Int128 width = (span + segments - 1) / std::max<std::int64_t>(segments, 1);
        plan.width = static_cast<std::int64_t>(
            std::clamp<Int128>(width, 1, std::numeric_limits<std::int64_t>::max()));
      } else {
        plan.bucketing = Bucketing::ordered;
        plan.key_type_source = source_key->type;
        plan.key_type_target = target_key->type;
        plan.key_collatable = source_key->collatable;
        const std::vector<std::string>& sample =
            source.sample.empty() ? target.sample : source.sample;
        if (segments > 1 && sample.size() > 1) {
          const auto parts = static_cast<std::size_t>(
              std::min<std::int64_t>(segments, static_cast<std::int64_t>(sample.size())));
          for (std::size_t i = 1; i < parts; ++i) {
            const std::string& bound = sample[i * sample.size() / parts];
            if (plan.bounds.empty() || plan.bounds.back() != bound) plan.bounds.push_back(bound);
          }
        }
      }
      state.planned = true;
    }
    scan();
  }

  // Fingerprints of every segment of every planned table, both sides at once.
  void scan() {
    pending_ = 0;
    for (std::size_t side = 0; side < 2; ++side) {
      auto state = std::make_shared<Scan>();
      state->results.resize(tables_.size());
      const int connections = databases_[side]->max_connections;
      for (std::size_t t = 0; t < tables_.size(); ++t) {
        TableState& table = tables_[t];
        if (!table.planned) continue;
        const sql::TableInfo& info = table.info[side];
        std::string restriction = "TRUE";  // a recheck's segments
        if (!table.restrict_to.empty()) {
          restriction = sql::segment_condition(
              table.plan, side == 1,
              std::vector<std::int64_t>(table.restrict_to.begin(), table.restrict_to.end()));
        }
        std::int64_t chunks = 1;
        if (info.server_version >= kNativeHashVersion && table.restrict_to.empty()) {
          chunks = std::clamp<std::int64_t>(info.pages / kMinChunkPages, 1,
                                            std::int64_t{kChunksPerConnection} * connections);
        }
        const std::int64_t pages = std::max<std::int64_t>(info.pages, 1);
        for (std::int64_t c = 0; c < chunks; ++c) {
          std::string chunk = "TRUE";
          if (c > 0) chunk += fmt::format(" AND ctid >= '({},0)'::tid", pages * c / chunks);
          if (c + 1 < chunks)
            chunk += fmt::format(" AND ctid < '({},0)'::tid", pages * (c + 1) / chunks);
          state->chunks.push_back({t, sql::scan_sql(table.plan, side == 1, chunk, restriction)});
        }
      }
      scans_[side] = state;
      if (state->chunks.empty()) continue;
      const int jobs = std::min<int>(connections, static_cast<int>(state->chunks.size()));
      pending_ += static_cast<std::size_t>(jobs);
      for (int j = 0; j < jobs; ++j) {
        postgres::run<int>(
            context_, databases_[side],
            [state](postgres::Session& session) { return scan_job(*state, session); },
            [self = shared_from_this(), side](Expected<int> done) {
              if (self->finished_) return;
              if (!done) return self->fail(side, done.error());
              if (--self->pending_ == 0) self->compare();
            });
      }
    }
    if (pending_ == 0) compare();
  }

  void compare() {
    for (std::size_t t = 0; t < tables_.size(); ++t) {
      TableState& table = tables_[t];
      if (!table.planned) continue;
      for (std::size_t side = 0; side < 2; ++side) {
        if (table.restrict_to.empty()) {
          table.segments[side] = std::move(scans_[side]->results[t]);
        } else {
          for (std::int64_t bucket : table.restrict_to)
            table.segments[side].erase(bucket);
          for (auto& [bucket, aggregate] : scans_[side]->results[t])
            table.segments[side][bucket] = aggregate;
        }
      }
      std::set<std::int64_t> buckets;
      for (const Segments& segments : table.segments) {
        for (const auto& [bucket, aggregate] : segments)
          buckets.insert(bucket);
      }
      table.rows = {0, 0};
      table.differing.clear();
      for (std::int64_t bucket : buckets) {
        std::array<Aggregate, 2> aggregates;
        for (std::size_t side = 0; side < 2; ++side) {
          auto it = table.segments[side].find(bucket);
          if (it != table.segments[side].end()) aggregates[side] = it->second;
          table.rows[side] += aggregates[side].count;
        }
        if (!table.restrict_to.empty() && !table.restrict_to.contains(bucket)) continue;
        if (aggregates[0] != aggregates[1]) table.differing.push_back(bucket);
      }
      queue_localisation(t);
    }
    scans_ = {};
    localise();
  }

  std::int64_t examples_wanted(const TableState& table) const {
    return std::max<std::int64_t>(
        0, target_->max_diffs - static_cast<std::int64_t>(table.examples.size()));
  }

  // Work for the differing segments of a table.
  void queue_localisation(std::size_t t) {
    TableState& table = tables_[t];
    const sql::TablePlan& plan = table.plan;
    if (plan.bucketing == Bucketing::integer) {
      for (std::int64_t bucket : table.differing) {
        const auto [first, last] = sql::integer_segment(plan, bucket);
        queue_range(t, first, last, count(table, 0, bucket), count(table, 1, bucket));
      }
      return;
    }
    const Work::Type type =
        plan.bucketing == Bucketing::hashed ? Work::Type::hash_counts : Work::Type::rows;
    std::vector<std::int64_t> batch;
    for (std::int64_t bucket : table.differing) {
      const std::int64_t source = count(table, 0, bucket);
      const std::int64_t target = count(table, 1, bucket);
      if (plan.bucketing == Bucketing::ordered && (source == 0 || target == 0)) {
        queue_one_sided(t, source == 0 ? DiffKind::extra : DiffKind::missing,
                        std::max(source, target), {.buckets = {bucket}});
        continue;
      }
      batch.push_back(bucket);
      if (batch.size() == kSegmentsPerFetch) {
        work_.push_back({.type = type, .table = t, .buckets = std::exchange(batch, {})});
      }
    }
    if (!batch.empty()) work_.push_back({.type = type, .table = t, .buckets = std::move(batch)});
  }

  static std::int64_t count(const TableState& table, std::size_t side, std::int64_t bucket) {
    auto it = table.segments[side].find(bucket);
    return it == table.segments[side].end() ? 0 : it->second.count;
  }

  void queue_range(std::size_t t, std::int64_t first, std::int64_t last, std::int64_t source,
                   std::int64_t target) {
    if (source == 0 || target == 0) {
      queue_one_sided(t, source == 0 ? DiffKind::extra : DiffKind::missing,
                      std::max(source, target), {.first = first, .last = last});
      return;
    }
    const bool leaf = std::max(source, target) <= kLeafRows || first == last;
    work_.push_back({.type = leaf ? Work::Type::rows : Work::Type::refine,
                     .table = t,
                     .first = first,
                     .last = last});
  }

  // Every row of a segment is on one side only: counted at once; its keys are fetched only
  // while examples are wanted.
  void queue_one_sided(std::size_t t, DiffKind kind, std::int64_t rows, Work where) {
    TableState& table = tables_[t];
    (kind == DiffKind::missing ? table.missing : table.extra) += rows;
    if (table.plan.bucketing == Bucketing::hashed) return;
    const std::int64_t wanted = examples_wanted(table) - queued_examples_[t];
    if (wanted <= 0) return;
    queued_examples_[t] += std::min(wanted, rows);
    where.type = Work::Type::rows;
    where.table = t;
    where.one_sided = kind;
    where.limit = std::min(wanted, rows);
    work_.push_back(std::move(where));
  }

  std::string work_condition(const Work& work, std::size_t side) const {
    const sql::TablePlan& plan = tables_[work.table].plan;
    if (plan.bucketing == Bucketing::integer)
      return sql::range_condition(plan, work.first, work.last);
    return sql::segment_condition(plan, side == 1, work.buckets);
  }

  void localise() {
    if (finished_) return;
    while (in_flight_ < kLocalisingAtOnce && !work_.empty()) {
      auto work = std::make_shared<Work>(std::move(work_.front()));
      work_.pop_front();
      ++in_flight_;
      run_work(work);
    }
    if (in_flight_ == 0 && work_.empty()) localised();
  }

  void run_work(const std::shared_ptr<Work>& work) {
    const TableState& table = tables_[work->table];
    const sql::TablePlan& plan = table.plan;
    auto results = std::make_shared<std::array<pqxx::result, 2>>();
    auto remaining = std::make_shared<int>(2);
    for (std::size_t side = 0; side < 2; ++side) {
      std::string query;
      switch (work->type) {
        case Work::Type::refine:
          query = sql::refine_sql(plan, work->first, work->last, refine_width(*work));
          break;
        case Work::Type::rows:
          if (work->one_sided && (side == 0) != (*work->one_sided == DiffKind::missing)) {
            query = "SELECT 1 WHERE FALSE";
          } else {
            query = sql::rows_sql(plan, work_condition(*work, side));
            if (work->limit > 0) query += fmt::format(" LIMIT {}", work->limit);
          }
          break;
        case Work::Type::hash_counts:
          query = sql::hash_counts_sql(plan, side == 1, work->buckets);
          break;
      }
      postgres::run<pqxx::result>(
          context_, databases_[side],
          [query](postgres::Session& session) {
            pqxx::read_transaction transaction(session.connection());
            return transaction.exec(query);
          },
          [self = shared_from_this(), work, results, remaining,
           side](Expected<pqxx::result> result) {
            if (self->finished_) return;
            if (!result) return self->fail(side, result.error());
            (*results)[side] = std::move(result).value();
            if (--*remaining > 0) return;
            --self->in_flight_;
            self->settle(*work, *results);
            self->localise();
          });
    }
  }

  static std::int64_t refine_width(const Work& work) {
    const Int128 span = static_cast<Int128>(work.last) - work.first + 1;
    return static_cast<std::int64_t>((span + kRefineParts - 1) / kRefineParts);
  }

  void settle(const Work& work, const std::array<pqxx::result, 2>& results) {
    TableState& table = tables_[work.table];
    switch (work.type) {
      case Work::Type::refine: {
        const std::array<Segments, 2> parts{read_segments(results[0]), read_segments(results[1])};
        const std::int64_t width = refine_width(work);
        std::set<std::int64_t> indexes;
        for (const Segments& segments : parts) {
          for (const auto& [index, aggregate] : segments)
            indexes.insert(index);
        }
        bool any = false;
        for (std::int64_t index : indexes) {
          std::array<Aggregate, 2> aggregates;
          for (std::size_t side = 0; side < 2; ++side) {
            auto it = parts[side].find(index);
            if (it != parts[side].end()) aggregates[side] = it->second;
          }
          if (aggregates[0] == aggregates[1]) continue;
          any = true;
          const Int128 first = static_cast<Int128>(work.first) + static_cast<Int128>(index) * width;
          const Int128 last = std::min<Int128>(first + width - 1, work.last);
          queue_range(work.table, static_cast<std::int64_t>(first), static_cast<std::int64_t>(last),
                      aggregates[0].count, aggregates[1].count);
        }
        if (!any) table.unexplained = true;
        return;
      }
      case Work::Type::rows:
        return settle_rows(work, table, results);
      case Work::Type::hash_counts: {
        std::map<std::string, std::array<std::int64_t, 2>> counts;
        for (std::size_t side = 0; side < 2; ++side) {
          for (const auto& row : results[side])
            counts[row[0].c_str()][side] += row[1].as<std::int64_t>();
        }
        bool any = false;
        for (const auto& [hash, both] : counts) {
          if (both[0] > both[1]) table.missing += both[0] - both[1];
          if (both[1] > both[0]) table.extra += both[1] - both[0];
          any = any || both[0] != both[1];
        }
        if (!any) table.unexplained = true;
        return;
      }
    }
  }

  void settle_rows(const Work& work, TableState& table,
                   const std::array<pqxx::result, 2>& results) {
    const sql::TablePlan& plan = table.plan;
    std::array<std::vector<RowHashes>, 2> rows{
        read_rows(plan.key, plan.columns.size(), results[0]),
        read_rows(plan.key, plan.columns.size(), results[1])};
    const auto add_example = [&table, this](Diff diff) {
      if (static_cast<std::int64_t>(table.examples.size()) < target_->max_diffs)
        table.examples.push_back(std::move(diff));
    };
    if (work.one_sided) {
      for (RowHashes& row : rows[*work.one_sided == DiffKind::missing ? 0 : 1])
        add_example({.key = std::move(row.key), .kind = *work.one_sided, .columns = {}});
      return;
    }
    std::map<std::string, std::vector<RowHashes*>> by_key;
    std::array<std::map<std::string, std::vector<RowHashes*>>, 2> sides;
    for (std::size_t side = 0; side < 2; ++side) {
      for (RowHashes& row : rows[side])
        sides[side][row.key].push_back(&row);
    }
    bool any = false;
    for (auto& [key, source_rows] : sides[0]) {
      auto it = sides[1].find(key);
      const std::size_t on_target = it == sides[1].end() ? 0 : it->second.size();
      if (on_target == 0) {
        any = true;
        table.missing += static_cast<std::int64_t>(source_rows.size());
        add_example({.key = key, .kind = DiffKind::missing, .columns = {}});
        continue;
      }
      const RowHashes& source = *source_rows.front();
      const RowHashes& target = *it->second.front();
      if (on_target > 1) {
        // The target lacks the key's uniqueness: each further row is extra.
        any = true;
        table.extra += static_cast<std::int64_t>(on_target - 1);
        add_example({.key = key, .kind = DiffKind::extra, .columns = {"(duplicated key)"}});
      }
      if (source.hash == target.hash) continue;
      any = true;
      ++table.changed;
      Diff diff{.key = key, .kind = DiffKind::changed, .columns = {}};
      for (std::size_t c = 0; c < plan.columns.size(); ++c) {
        if (source.columns[c] != target.columns[c]) {
          diff.columns.push_back(plan.columns[c]);
          ++table.changed_columns[plan.columns[c]];
        }
      }
      add_example(std::move(diff));
    }
    for (auto& [key, target_rows] : sides[1]) {
      if (sides[0].contains(key)) continue;
      any = true;
      table.extra += static_cast<std::int64_t>(target_rows.size());
      add_example({.key = key, .kind = DiffKind::extra, .columns = {}});
    }
    if (!any) table.unexplained = true;
  }

  bool any_difference() const {
    return std::any_of(tables_.begin(), tables_.end(), [](const TableState& table) {
      return table.missing + table.extra + table.changed > 0 || table.unexplained;
    });
  }

  void localised() {
    if (!target_->recheck || rechecked_ || !any_difference()) return report();
    rechecked_ = true;
    timer_.expires_after(*target_->recheck);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
      if (error || self->finished_) return;
      for (TableState& table : self->tables_) {
        const bool differs = table.missing + table.extra + table.changed > 0 || table.unexplained;
        table.restrict_to.clear();
        if (table.planned && differs) {
          table.restrict_to.insert(table.differing.begin(), table.differing.end());
        } else {
          table.planned = false;  // equal: not read again
        }
        table.missing = table.extra = table.changed = 0;
        table.changed_columns.clear();
        table.examples.clear();
        table.unexplained = false;
      }
      self->queued_examples_.clear();
      self->scan();
    });
  }

  void report() {
    std::vector<std::string> problems;
    for (const std::string& pattern : unmatched_)
      problems.push_back(fmt::format("no table matches '{}'", pattern));
    std::vector<std::vector<std::string>> summary;
    std::vector<std::vector<std::string>> listed;
    std::array<std::int64_t, 2> rows{};
    std::int64_t segments = 0;
    std::int64_t missing = 0;
    std::int64_t extra = 0;
    std::int64_t changed = 0;
    for (TableState& table : tables_) {
      for (std::size_t side = 0; side < 2; ++side)
        rows[side] += table.rows[side];
      std::set<std::int64_t> buckets;
      for (const Segments& side : table.segments) {
        for (const auto& [bucket, aggregate] : side)
          buckets.insert(bucket);
      }
      segments += static_cast<std::int64_t>(buckets.size());
      missing += table.missing;
      extra += table.extra;
      changed += table.changed;
      std::vector<std::string> parts = table.problems;
      if (table.missing > 0)
        parts.push_back(fmt::format("{} missing on target", rows_phrase(table.missing)));
      if (table.extra > 0)
        parts.push_back(fmt::format("{} extra on target", rows_phrase(table.extra)));
      if (table.changed > 0) {
        std::vector<std::string> columns;
        for (const auto& [column, count] : table.changed_columns)
          columns.push_back(fmt::format("{} {}", column, count));
        parts.push_back(
            fmt::format("{} changed ({})", rows_phrase(table.changed), fmt::join(columns, ", ")));
      }
      if (table.planned && table.plan.bucketing == Bucketing::hashed &&
          table.missing + table.extra > 0) {
        parts.push_back("no primary key or unique not-null key, so the rows cannot be named");
      }
      if (table.unexplained && table.missing + table.extra + table.changed == 0) {
        parts.push_back(
            "a segment's fingerprint differed but its rows matched when read again (rows "
            "changing during the check?)");
      }
      if (!parts.empty())
        problems.push_back(fmt::format("{}: {}", table.name, fmt::join(parts, "; ")));
      const bool exists = table.info[0].exists && table.info[1].exists;
      summary.push_back({table.name,
                         exists || table.info[0].exists ? fmt::to_string(table.rows[0]) : "missing",
                         exists || table.info[1].exists ? fmt::to_string(table.rows[1]) : "missing",
                         fmt::to_string(buckets.size()), fmt::to_string(table.missing),
                         fmt::to_string(table.extra), fmt::to_string(table.changed)});
      std::sort(table.examples.begin(), table.examples.end(),
                [](const Diff& a, const Diff& b) { return key_less(a.key, b.key); });
      for (const Diff& diff : table.examples) {
        if (static_cast<std::int64_t>(listed.size()) >= target_->max_diffs) break;
        listed.push_back({table.name, diff.key,
                          diff.kind == DiffKind::missing ? "missing on target"
                          : diff.kind == DiffKind::extra ? "extra on target"
                                                         : "changed",
                          fmt::format("{}", fmt::join(diff.columns, ", "))});
      }
    }

    CheckResult result;
    if (problems.empty()) {
      result = CheckResult::passed(
          fmt::format("{} {} identical on source and target ({} on each side, {} segment{})",
                      tables_.size(), tables_.size() == 1 ? "table is" : "tables are",
                      rows_phrase(rows[0]), segments, segments == 1 ? "" : "s"));
    } else {
      result = CheckResult::failed(join_first(problems, kNamedInMessage));
    }
    std::string details =
        text_table({"table", "source", "target", "segments", "missing", "extra", "changed"},
                   summary, "lrrrrrr");
    if (!listed.empty()) {
      details += "\n\n" + text_table({"table", "key", "difference", "columns"}, listed, "llll");
    }
    if (rechecked_)
      details += fmt::format("\n\nread again after {}", format_duration(*target_->recheck));
    result.details = std::move(details);
    result.measurements = {{"tables", static_cast<double>(tables_.size()), ""},
                           {"rows_source", static_cast<double>(rows[0]), "rows"},
                           {"rows_target", static_cast<double>(rows[1]), "rows"},
                           {"segments", static_cast<double>(segments), ""},
                           {"rows_missing", static_cast<double>(missing), "rows"},
                           {"rows_extra", static_cast<double>(extra), "rows"},
                           {"rows_changed", static_cast<double>(changed), "rows"}};
    finish(std::move(result));
  }

  static std::string rows_phrase(std::int64_t count) {
    return count == 1 ? "1 row" : fmt::format("{} rows", count);
  }

  void finish(CheckResult result) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    for (const auto& scan : scans_) {
      if (!scan) continue;
      std::lock_guard lock(scan->mutex);
      scan->stopped = true;
      scan->changed.notify_all();
    }
    done_(std::move(result));
  }

  std::shared_ptr<const ChecksumTarget> target_;
  CheckContext context_;  // a copy: the scheduler's lives only during start()
  Completion done_;
  std::array<std::shared_ptr<const Database>, 2> databases_;
  boost::asio::steady_timer timer_;
  std::array<std::vector<Table>, 2> listed_;
  std::vector<std::string> unmatched_;
  std::vector<TableState> tables_;
  std::array<std::shared_ptr<Scan>, 2> scans_;
  std::deque<Work> work_;
  std::map<std::size_t, std::int64_t> queued_examples_;
  std::size_t in_flight_ = 0;
  std::size_t pending_ = 0;
  bool rechecked_ = false;
  bool finished_ = false;
};

std::optional<int> optional_integer(Fields& fields, std::string_view name, int low, int high) {
  if (!fields.has(name)) return std::nullopt;
  const std::int64_t value = fields.integer(name);
  if (value < low || value > high) {
    fields.error(name, fmt::format("{}: expected a whole number from {} to {}, got {}", name, low,
                                   high, value));
    return std::nullopt;
  }
  return static_cast<int>(value);
}

}  // namespace

KindSpec PostgresChecksumCheck::spec() {
  return {
      "Source against target, table by table: segment fingerprints (row counts and sums of "
      "64-bit row hashes) computed inside both databases, then the exact keys of rows missing, "
      "extra or changed, with the columns that differ.",
      {
          {.name = "source",
           .type = FieldType::database,
           .required = true,
           .description = "the database migrated from"},
          {.name = "target",
           .type = FieldType::database,
           .required = true,
           .description = "the database migrated to"},
          {.name = "tables",
           .type = FieldType::string_list,
           .required = true,
           .description = "tables to compare: name (schema public), schema.name, or globs like "
                          "sales.*; a table missing on either side fails"},
          {.name = "exclude",
           .type = FieldType::string_list,
           .description = "globs of schema.name left out of what tables matched"},
          {.name = "columns",
           .type = FieldType::string_list,
           .description = "compare only these columns (and the key); default: every column, "
                          "matched by name"},
          {.name = "exclude_columns",
           .type = FieldType::string_list,
           .description = "columns left out of the compare (never the key)"},
          {.name = "where",
           .type = FieldType::string,
           .description = "an SQL condition applied on both sides, e.g. created_at < "
                          "'2026-01-01'"},
          {.name = "mode",
           .type = FieldType::choice,
           .description = "native: type-aware hash_record_extended (PostgreSQL 14+); canonical: "
                          "md5 of a documented text rendering another engine can rebuild",
           .choices = {"native", "canonical"},
           .default_value = "native on 14+"},
          {.name = "float_digits",
           .type = FieldType::integer,
           .description = "compare float4/float8 to this many significant digits (1..17)"},
          {.name = "timestamp_precision",
           .type = FieldType::integer,
           .description = "round timestamps and times to this many fractional second digits "
                          "(0..6)"},
          {.name = "trim_char",
           .type = FieldType::boolean,
           .description = "compare char(n) without its padding spaces, as PostgreSQL does",
           .default_value = "true"},
          {.name = "segment_rows",
           .type = FieldType::integer,
           .description = "rows per segment fingerprint (a differing segment is localised "
                          "further)",
           .default_value = "10000"},
          {.name = "max_diffs",
           .type = FieldType::integer,
           .description = "differing keys listed in the result (all are counted)",
           .default_value = "100"},
          {.name = "recheck",
           .type = FieldType::duration,
           .description = "when rows differ, read the differing segments again after this "
                          "wait and report what still differs (online migrations)"},
      }};
}

PostgresChecksumCheck::PostgresChecksumCheck(Fields& fields) {
  auto target = std::make_shared<ChecksumTarget>();
  target->source = fields.database("source");
  target->target = fields.database("target");
  for (const std::string& table : fields.strings("tables")) {
    if (table.empty()) {
      fields.error("tables", "tables: expected table names, got an empty one");
      continue;
    }
    target->tables.push_back(postgres::qualified(table));
  }
  if (fields.has("tables") && target->tables.empty())
    fields.error("tables", "tables: expected at least one table name or glob (like sales.*)");
  for (const std::string& glob : fields.strings("exclude"))
    target->exclude.push_back(postgres::qualified(glob));
  target->columns = fields.strings("columns");
  target->exclude_columns = fields.strings("exclude_columns");
  if (!target->columns.empty() && !target->exclude_columns.empty()) {
    fields.error("exclude_columns", "give columns or exclude_columns, not both");
  }
  target->where = fields.string("where");
  if (fields.has("mode")) {
    target->mode = fields.string("mode") == "canonical" ? postgres::checksum::Mode::canonical
                                                        : postgres::checksum::Mode::native;
  }
  target->normalisation.float_digits = optional_integer(fields, "float_digits", 1, 17);
  target->normalisation.timestamp_precision = optional_integer(fields, "timestamp_precision", 0, 6);
  target->normalisation.trim_char = fields.boolean("trim_char", true);
  target->segment_rows = fields.integer("segment_rows", kDefaultSegmentRows);
  if (target->segment_rows < 100 || target->segment_rows > 100'000'000) {
    fields.error("segment_rows", fmt::format("segment_rows: expected 100 to 100000000, got {}",
                                             target->segment_rows));
  }
  target->max_diffs = fields.integer("max_diffs", kDefaultMaxDiffs);
  if (target->max_diffs < 0 || target->max_diffs > 100'000) {
    fields.error("max_diffs",
                 fmt::format("max_diffs: expected 0 to 100000, got {}", target->max_diffs));
  }
  if (fields.has("recheck")) target->recheck = fields.duration("recheck");
  target_ = std::move(target);
}

PostgresChecksumCheck::~PostgresChecksumCheck() = default;

void PostgresChecksumCheck::start(CheckContext& context, Completion done) {
  std::make_shared<ChecksumAttempt>(target_, context, std::move(done))->start();
}

std::string PostgresChecksumCheck::describe() const {
  std::string text =
      fmt::format("{} vs {}: {}", target_->source ? target_->source->name : "?",
                  target_->target ? target_->target->name : "?", fmt::join(target_->tables, ", "));
  if (!target_->exclude.empty())
    text += fmt::format(" except {}", fmt::join(target_->exclude, ", "));
  if (!target_->where.empty()) text += fmt::format(" where {}", target_->where);
  return text;
}

}  // namespace cutover
