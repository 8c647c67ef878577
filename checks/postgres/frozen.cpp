#include "checks/postgres/frozen.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <pqxx/result>
#include <pqxx/transaction>

#include "checks/database/attempt.hpp"
#include "checks/postgres/pool.hpp"
#include "checks/postgres/tables.hpp"
#include "harness/duration.hpp"
#include "harness/text.hpp"

namespace cutover {

namespace detail {

struct FrozenTarget {
  std::shared_ptr<const Database> database;
  Duration window{};
  std::vector<std::string> tables;   // qualified names and globs; empty: every table
  std::vector<std::string> exclude;  // globs
  std::vector<std::string> roles;
  std::optional<std::int64_t> max_wal_bytes;
};

}  // namespace detail

namespace {

using detail::FrozenTarget;
using Clock = std::chrono::steady_clock;

constexpr Duration kDefaultWindow = std::chrono::seconds(5);
// What the timeout must leave beside the window for the readings.
constexpr Duration kReadingRoom = std::chrono::seconds(1);
// What an attempt needs beside the window once started (its own budget is shorter).
constexpr Duration kLeastRoom = std::chrono::milliseconds(500);
// What the last reading needs at least once the window ends.
constexpr Duration kLastReadingRoom = std::chrono::milliseconds(200);
constexpr Duration kSampleEvery = std::chrono::milliseconds(500);
constexpr std::size_t kNamedInMessage = 3;

struct Counters {
  std::string root;  // the partitioned table at the top of its tree, or itself
  std::int64_t inserts = 0;
  std::int64_t updates = 0;
  std::int64_t deletes = 0;
};

struct Sessions {
  std::map<std::string, std::set<std::int64_t>> by_role;  // role -> pids
  std::set<std::int64_t> writing;                         // pids with an open write transaction
};

struct Reading {
  std::map<std::string, Counters> tables;  // by qualified name
  std::int64_t database_writes = 0;        // pg_stat_database tup_inserted + updated + deleted
  std::string stats_reset;
  bool track_counts = true;
  std::int64_t wal = 0;  // bytes from 0/0
  Sessions sessions;
};

std::string sessions_sql(const std::vector<std::string>& roles) {
  std::vector<std::string> quoted;
  for (const std::string& role : roles)
    quoted.push_back(postgres::quote_literal(role));
  const std::string by_role =
      quoted.empty() ? "false" : fmt::format("usename IN ({})", fmt::join(quoted, ", "));
  return fmt::format(
      "SELECT pid, coalesce(usename, ''), backend_xid IS NOT NULL "
      "FROM pg_catalog.pg_stat_activity WHERE datname = current_database() "
      "AND pid <> pg_catalog.pg_backend_pid() AND backend_type = 'client backend' "
      "AND ({} OR backend_xid IS NOT NULL)",
      by_role);
}

void read_sessions(pqxx::read_transaction& transaction, const FrozenTarget& target,
                   Sessions& sessions) {
  for (const auto& row : transaction.exec(sessions_sql(target.roles))) {
    const auto pid = row[0].as<std::int64_t>();
    const auto role = row[1].as<std::string>();
    if (std::find(target.roles.begin(), target.roles.end(), role) != target.roles.end())
      sessions.by_role[role].insert(pid);
    if (row[2].as<bool>()) sessions.writing.insert(pid);
  }
}

// A new transaction, and the statistics snapshot cleared, so each reading sees what the server
// has now (stats_fetch_consistency caches within a transaction).
Reading read_counters(postgres::Session& session, const FrozenTarget& target) {
  pqxx::read_transaction transaction(session.connection());
  transaction.exec("SELECT pg_catalog.pg_stat_clear_snapshot()");
  Reading reading;
  const pqxx::row database = transaction.exec1(
      "SELECT tup_inserted + tup_updated + tup_deleted, coalesce(stats_reset::text, ''), "
      "current_setting('track_counts')::bool, "
      "coalesce((CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn() "
      "ELSE pg_catalog.pg_current_wal_lsn() END) - '0/0'::pg_lsn, 0)::bigint "
      "FROM pg_catalog.pg_stat_database WHERE datname = current_database()");
  reading.database_writes = database[0].as<std::int64_t>();
  reading.stats_reset = database[1].as<std::string>();
  reading.track_counts = database[2].as<bool>();
  reading.wal = database[3].as<std::int64_t>();
  for (const auto& row : transaction.exec(
           "SELECT s.schemaname || '.' || s.relname, "
           "coalesce(rn.nspname || '.' || rc.relname, s.schemaname || '.' || s.relname), "
           "s.n_tup_ins, s.n_tup_upd, s.n_tup_del FROM pg_catalog.pg_stat_user_tables s "
           "LEFT JOIN pg_catalog.pg_class rc ON rc.oid = pg_catalog.pg_partition_root(s.relid) "
           "LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace")) {
    reading.tables[row[0].as<std::string>()] = {row[1].as<std::string>(), row[2].as<std::int64_t>(),
                                                row[3].as<std::int64_t>(),
                                                row[4].as<std::int64_t>()};
  }
  read_sessions(transaction, target, reading.sessions);
  return reading;
}

Sessions sample_sessions(postgres::Session& session, const FrozenTarget& target) {
  pqxx::read_transaction transaction(session.connection());
  Sessions sessions;
  read_sessions(transaction, target, sessions);
  return sessions;
}

void merge(Sessions& into, const Sessions& from) {
  for (const auto& [role, pids] : from.by_role)
    into.by_role[role].insert(pids.begin(), pids.end());
  into.writing.insert(from.writing.begin(), from.writing.end());
}

std::string plural(std::int64_t count, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

struct Change {
  std::string name;
  std::string event;  // "created", "dropped", or empty
  std::int64_t inserts = 0;
  std::int64_t updates = 0;
  std::int64_t deletes = 0;

  std::string describe() const {
    std::vector<std::string> parts;
    if (!event.empty()) parts.push_back(event + " during the window");
    if (inserts) parts.push_back(plural(inserts, "insert", "inserts"));
    if (updates) parts.push_back(plural(updates, "update", "updates"));
    if (deletes) parts.push_back(plural(deletes, "delete", "deletes"));
    return fmt::format("{}: {}", name, fmt::join(parts, ", "));
  }
};

// Which tables' writes count: every table, or those `tables` names; a partition counts with its
// partitioned table.
class TableFilter {
 public:
  TableFilter(const FrozenTarget& target, const Reading& first, const Reading& last)
      : target_(target) {
    std::vector<postgres::Table> known;
    for (const Reading* reading : {&first, &last}) {
      for (const auto& [name, counters] : reading->tables) {
        for (const std::string& table : {name, counters.root}) {
          if (!seen_.insert(table).second) continue;
          const auto dot = table.find('.');
          known.push_back({{table.substr(0, dot), table.substr(dot + 1), false}});
        }
      }
    }
    std::vector<std::string> patterns = target_.tables;
    if (patterns.empty()) patterns.push_back("*.*");
    selection_ = postgres::select_tables(patterns, target_.exclude, {&known});
  }

  // What `tables` names that neither reading has: globs that match no table, and missing tables.
  std::vector<std::string> problems() const {
    std::vector<std::string> problems;
    if (target_.tables.empty()) return problems;
    for (const std::string& glob : selection_.unmatched)
      problems.push_back(fmt::format("no table matches '{}'", glob));
    for (const std::string& name : selection_.names) {
      if (!seen_.contains(name)) problems.push_back(fmt::format("no table {}", name));
    }
    return problems;
  }

  // A partition counts with its partitioned table, so excluding that excludes it too.
  bool counts(const std::string& name, const Counters& counters) const {
    if (counters.root != name &&
        postgres::select_tables({counters.root}, target_.exclude, {}).names.empty()) {
      return false;
    }
    return selection_.names.contains(name) || selection_.names.contains(counters.root);
  }

 private:
  const FrozenTarget& target_;
  std::set<std::string> seen_;  // every table of either reading, and their partitioned tables
  postgres::TableSelection selection_;
};

// What changed between the first reading and the last.
struct Difference {
  std::vector<Change> changes;  // the counted tables written, created or dropped, by name
  Change totals;                // the counted tables' writes summed
  std::size_t watched = 0;      // counted tables at the last reading
  std::int64_t database_writes = 0;
  std::int64_t wal_bytes = 0;
  bool reset = false;  // the statistics were reset in between: the counters cannot be compared
};

void add_writes(Change& into, const Change& change) {
  into.inserts += change.inserts;
  into.updates += change.updates;
  into.deletes += change.deletes;
}

Difference compare(const Reading& first, const Reading& last, const TableFilter& filter) {
  Difference difference;
  difference.reset = first.stats_reset != last.stats_reset;
  for (const auto& [name, after] : last.tables) {
    if (!filter.counts(name, after)) continue;
    ++difference.watched;
    auto before = first.tables.find(name);
    const bool created = before == first.tables.end();
    const Counters zero;
    const Counters& from = created ? zero : before->second;
    Change change{name, created ? "created" : "", after.inserts - from.inserts,
                  after.updates - from.updates, after.deletes - from.deletes};
    if (change.inserts < 0 || change.updates < 0 || change.deletes < 0) difference.reset = true;
    add_writes(difference.totals, change);
    if (!change.event.empty() || change.inserts || change.updates || change.deletes)
      difference.changes.push_back(std::move(change));
  }
  for (const auto& [name, before] : first.tables) {
    if (filter.counts(name, before) && !last.tables.contains(name))
      difference.changes.push_back({name, "dropped", 0, 0, 0});
  }
  std::sort(difference.changes.begin(), difference.changes.end(),
            [](const Change& a, const Change& b) { return a.name < b.name; });
  difference.database_writes = last.database_writes - first.database_writes;
  difference.wal_bytes = last.wal - first.wal;
  return difference;
}

std::size_t role_sessions(const Sessions& sessions) {
  std::size_t count = 0;
  for (const auto& [role, pids] : sessions.by_role)
    count += pids.size();
  return count;
}

// What breaks the freeze, in the order the message names it: the tables written (the first few),
// the sessions of the roles listed, the open write transactions, the WAL past max_wal_bytes.
std::vector<std::string> breaches(const FrozenTarget& target, const Difference& difference,
                                  const Sessions& sessions) {
  std::vector<std::string> parts;
  const std::vector<Change>& changes = difference.changes;
  for (std::size_t i = 0; i < changes.size() && i < kNamedInMessage; ++i)
    parts.push_back(changes[i].describe());
  if (changes.size() > kNamedInMessage) {
    parts.push_back(
        fmt::format("and {} more", plural(changes.size() - kNamedInMessage, "table", "tables")));
  }
  for (const auto& [role, pids] : sessions.by_role)
    parts.push_back(
        fmt::format("role {} had {}", role, plural(pids.size(), "session", "sessions")));
  if (!sessions.writing.empty()) {
    parts.push_back(fmt::format("{} an open write transaction",
                                sessions.writing.size() == 1
                                    ? std::string("1 session had")
                                    : fmt::format("{} sessions had", sessions.writing.size())));
  }
  if (target.max_wal_bytes && difference.wal_bytes > *target.max_wal_bytes) {
    parts.push_back(
        fmt::format("WAL advanced {} bytes, more than max_wal_bytes {} (WAL is cluster-wide)",
                    difference.wal_bytes, *target.max_wal_bytes));
  }
  return parts;
}

CheckResult verdict(const FrozenTarget& target, const Difference& difference,
                    const Sessions& sessions) {
  const std::string window = format_duration(target.window);
  const std::vector<std::string> parts = breaches(target, difference, sessions);
  if (!parts.empty())
    return CheckResult::failed(fmt::format("during {}: {}", window, fmt::join(parts, "; ")));
  std::string message =
      fmt::format("no writes to {} of '{}' during {}",
                  plural(difference.watched, "table", "tables"), target.database->name, window);
  if (!target.roles.empty())
    message += fmt::format(", and no sessions of {}", fmt::join(target.roles, ", "));
  return CheckResult::passed(std::move(message));
}

// A table of the changed tables' writes, then the pids of the sessions found.
std::string details(const Difference& difference, const Sessions& sessions) {
  std::vector<std::string> details;
  if (!difference.changes.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const Change& change : difference.changes) {
      rows.push_back(
          {change.event.empty() ? change.name : fmt::format("{} ({})", change.name, change.event),
           fmt::to_string(change.inserts), fmt::to_string(change.updates),
           fmt::to_string(change.deletes)});
    }
    details.push_back(text_table({"table", "inserts", "updates", "deletes"}, rows, "lrrr"));
  }
  for (const auto& [role, pids] : sessions.by_role)
    details.push_back(fmt::format("role {}: pids {}", role, fmt::join(pids, ", ")));
  if (!sessions.writing.empty()) {
    details.push_back(
        fmt::format("open write transactions: pids {}", fmt::join(sessions.writing, ", ")));
  }
  return fmt::format("{}", fmt::join(details, "\n"));
}

void add_measurements(CheckResult& result, Duration elapsed, const Difference& difference,
                      const Sessions& sessions) {
  const auto add = [&result](std::string name, double value, std::string unit) {
    result.measurements.push_back({std::move(name), value, std::move(unit)});
  };
  add("window_ms", to_milliseconds(elapsed), "ms");
  add("tables", static_cast<double>(difference.watched), "");
  add("inserts", static_cast<double>(difference.totals.inserts), "rows");
  add("updates", static_cast<double>(difference.totals.updates), "rows");
  add("deletes", static_cast<double>(difference.totals.deletes), "rows");
  add("database_rows_written", static_cast<double>(difference.database_writes), "rows");
  add("wal_bytes", static_cast<double>(difference.wal_bytes), "bytes");
  add("role_sessions", static_cast<double>(role_sessions(sessions)), "");
  add("write_transactions", static_cast<double>(sessions.writing.size()), "");
}

// The check's result once the window has closed: `sessions` holds every sample of the window.
CheckResult judge(const FrozenTarget& target, const Reading& first, const Reading& last,
                  const Sessions& sessions, Duration elapsed) {
  const TableFilter filter(target, first, last);
  if (const std::vector<std::string> problems = filter.problems(); !problems.empty()) {
    return CheckResult::failed(
        fmt::format("{} (in '{}')", fmt::join(problems, "; "), target.database->name));
  }
  const Difference difference = compare(first, last, filter);
  if (difference.reset) {
    return CheckResult::error(
        fmt::format("the statistics of '{}' were reset during the window (pg_stat_reset): the "
                    "write counters cannot be compared; run the check again",
                    target.database->name));
  }
  CheckResult result = verdict(target, difference, sessions);
  result.details = details(difference, sessions);
  add_measurements(result, elapsed, difference, sessions);
  return result;
}

std::string window_does_not_fit(Duration window, Duration left) {
  return fmt::format(
      "the window of {} does not fit in the {} left of the attempt's budget (the readings need {} "
      "more): shorten window or raise timeout",
      format_duration(window),
      format_duration(
          std::chrono::duration_cast<std::chrono::milliseconds>(std::max(left, Duration::zero()))),
      format_duration(kLeastRoom));
}

std::string first_reading_too_slow(Duration window, Duration took) {
  return fmt::format(
      "the first reading took {}: the window of {} no longer fits in the attempt's budget; raise "
      "timeout",
      format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(took)),
      format_duration(window));
}

// One attempt: a reading, readings of the sessions every 500ms on a timer, a last reading when
// the window ends. One job at a time, so one pooled connection.
class WatchAttempt : public database::Attempt<WatchAttempt> {
  friend Attempt;

 public:
  WatchAttempt(std::shared_ptr<const FrozenTarget> target, CheckContext& context, Completion done)
      : Attempt(context, std::move(done)), target_(std::move(target)), timer_(context.io) {}

  void start() {
    if (!watch()) return;
    started_ = Clock::now();
    budget_end_ = own_budget(job_context()).end;
    const Duration left = budget_end_ - started_;
    if (left < target_->window + kLeastRoom) {
      boost::asio::post(job_context().io, [self = shared_from_this(), left] {
        self->finish(CheckResult::error(window_does_not_fit(self->target_->window, left)));
      });
      return;
    }
    run<Reading>(read_counters,
                 [](WatchAttempt& self, Reading first) { self.open_window(std::move(first)); });
  }

 private:
  // Runs `job(session, target)` on the database, then `next(self, value)` on the event loop; a
  // failed job ends the attempt.
  template <typename T, typename Next>
  void run(T (*job)(postgres::Session&, const FrozenTarget&), Next next) {
    postgres::run<T>(
        job_context(), target_->database,
        [job, target = target_](postgres::Session& session) { return job(session, *target); },
        then([next](WatchAttempt& self, Expected<T> value) {
          if (!value) return self.finish(CheckResult::error(value.error().message));
          next(self, std::move(value).value());
        }));
  }

  void open_window(Reading first) {
    if (!first.track_counts) {
      return finish(CheckResult::error(
          fmt::format("track_counts is off on '{}': PostgreSQL keeps no write counters to compare",
                      target_->database->name)));
    }
    window_start_ = Clock::now();
    if (window_start_ + target_->window + kLastReadingRoom > budget_end_) {
      return finish(
          CheckResult::error(first_reading_too_slow(target_->window, window_start_ - started_)));
    }
    first_ = std::move(first);
    sessions_ = first_->sessions;
    tick();
  }

  // Waits for the next sample of the sessions, or for the window's end.
  void tick() {
    const Clock::time_point end = window_start_ + target_->window;
    timer_.expires_at(std::min(Clock::now() + kSampleEvery, end));
    timer_.async_wait([self = shared_from_this(), end](boost::system::error_code error) {
      if (error || self->stopped()) return;
      if (Clock::now() >= end) return self->read_last();
      self->run<Sessions>(sample_sessions, [](WatchAttempt& self, Sessions sessions) {
        merge(self.sessions_, sessions);
        self.tick();
      });
    });
  }

  void read_last() {
    run<Reading>(read_counters, [](WatchAttempt& self, Reading last) {
      const Duration elapsed = Clock::now() - self.window_start_;
      merge(self.sessions_, last.sessions);
      self.finish(judge(*self.target_, *self.first_, last, self.sessions_, elapsed));
    });
  }

  // The scheduler cancelled the attempt: says how far into the window it got.
  std::optional<CheckResult> cancelled_result() {
    if (!first_) return CheckResult::error("cancelled");
    const auto into =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - window_start_);
    return CheckResult::error(fmt::format("cancelled {} into the window of {}",
                                          format_duration(into), format_duration(target_->window)));
  }

  void stop_work() { timer_.cancel(); }

  std::shared_ptr<const FrozenTarget> target_;
  boost::asio::steady_timer timer_;
  std::optional<Reading> first_;
  Sessions sessions_;
  Clock::time_point started_{};
  Clock::time_point budget_end_{};
  Clock::time_point window_start_{};
};

}  // namespace

KindSpec PostgresFrozenCheck::spec() {
  return {
      "The change freeze is real: during a window the database's tables take no inserts, updates "
      "or deletes (pg_stat_user_tables counters), no session holds an open write transaction, "
      "and, optionally, no session of the listed roles is connected. Start it 10s into the "
      "freeze: PostgreSQL publishes a session's counters up to 10s late.",
      {
          {.name = "database",
           .type = FieldType::database,
           .required = true,
           .description = "the database that must stay frozen"},
          {.name = "window",
           .type = FieldType::duration,
           .description = "how long to watch; must leave 1s of the check's timeout for the "
                          "readings",
           .default_value = "5s"},
          {.name = "tables",
           .type = FieldType::string_list,
           .description = "tables whose writes count: name (schema public), schema.name, or globs "
                          "like sales.* (partitions count with their table); default every table",
           .non_empty = true},
          {.name = "exclude",
           .type = FieldType::string_list,
           .description = "globs of schema.name whose writes do not count",
           .non_empty = true},
          {.name = "roles",
           .type = FieldType::string_list,
           .description = "roles (pg_stat_activity.usename) that must have no session connected "
                          "to the database at any moment of the window (sampled every 500ms)",
           .non_empty = true},
          {.name = "max_wal_bytes",
           .type = FieldType::integer,
           .description = "fail when the WAL position advances more than this many bytes during "
                          "the window (cluster-wide: other databases and maintenance count); "
                          "default: reported only",
           .min = 0},
      }};
}

PostgresFrozenCheck::PostgresFrozenCheck(Fields& fields) {
  auto target = std::make_shared<detail::FrozenTarget>();
  target->database = fields.database("database");
  if (!target->database) fields.error("database", "database: give the database to watch");
  target->window = fields.duration("window", kDefaultWindow);
  if (target->window + kReadingRoom > fields.timeout()) {
    fields.error("window",
                 fmt::format("window: {} leaves less than {} of the check's timeout ({}) for the "
                             "readings: shorten window or raise timeout to {}",
                             format_duration(target->window), format_duration(kReadingRoom),
                             format_duration(fields.timeout()),
                             format_duration(target->window + kReadingRoom)));
  }
  for (const std::string& table : fields.strings("tables"))
    target->tables.push_back(postgres::qualified(table));
  for (const std::string& glob : fields.strings("exclude"))
    target->exclude.push_back(postgres::qualified(glob));
  target->roles = fields.strings("roles");
  if (fields.has("max_wal_bytes")) target->max_wal_bytes = fields.integer("max_wal_bytes");
  target_ = std::move(target);
}

PostgresFrozenCheck::~PostgresFrozenCheck() = default;

void PostgresFrozenCheck::start(CheckContext& context, Completion done) {
  std::make_shared<WatchAttempt>(target_, context, std::move(done))->start();
}

std::string PostgresFrozenCheck::describe() const {
  std::string text =
      fmt::format("{} frozen for {}", target_->database ? target_->database->name : "?",
                  format_duration(target_->window));
  if (!target_->tables.empty()) text += fmt::format(": {}", fmt::join(target_->tables, ", "));
  if (!target_->exclude.empty())
    text += fmt::format(" except {}", fmt::join(target_->exclude, ", "));
  if (!target_->roles.empty())
    text += fmt::format("; no sessions of {}", fmt::join(target_->roles, ", "));
  return text;
}

}  // namespace cutover
