#include "checks/mysql/frozen.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "checks/database/attempt.hpp"
#include "checks/mysql/session.hpp"
#include "harness/duration.hpp"

namespace cutover {

namespace detail {

struct MysqlFrozenTarget {
  std::shared_ptr<const Database> database;
  Duration window{};
  std::vector<std::string> users;
  bool require_read_only = true;
};

}  // namespace detail

namespace {

using detail::MysqlFrozenTarget;
using Clock = std::chrono::steady_clock;

constexpr Duration kDefaultWindow = std::chrono::seconds(5);
// What the timeout must leave beside the window for the readings.
constexpr Duration kReadingRoom = std::chrono::seconds(1);
// What an attempt needs beside the window once started (its own budget is shorter).
constexpr Duration kLeastRoom = std::chrono::milliseconds(500);
// What the last reading needs at least once the window ends.
constexpr Duration kLastReadingRoom = std::chrono::milliseconds(200);
constexpr Duration kSampleEvery = std::chrono::milliseconds(500);

// What is read every 500ms.
struct Sample {
  bool read_only_off = false;                             // at any reading
  std::optional<bool> super_read_only;                    // MySQL's, at the last reading
  std::map<std::string, std::set<std::int64_t>> by_user;  // user -> connection ids
  std::set<std::int64_t> writing;  // connection ids with an open write transaction
};

// What is read at the window's start and end.
struct Reading {
  Sample sample;
  std::optional<std::string> binlog;  // "mariadb-bin.000001:1234"; none when the log is off
  std::int64_t binlog_position = 0;
  std::string gtid;
  // Write statements run on the server (Com_insert, Com_update, ...), refused ones included.
  std::int64_t write_statements = 0;
  // MariaDB's Innodb_max_trx_id: InnoDB numbers a transaction on its first write only, so it
  // moves with every write, also one kept out of the binary log (sql_log_bin=0); MySQL has none.
  std::optional<std::int64_t> max_trx_id;
};

// The statement counters of writes to rows. (InnoDB's row counters, Innodb_rows_inserted and
// the like, are gone from MariaDB 10.11.)
constexpr std::string_view kWriteCounters =
    "'Com_insert', 'Com_insert_select', 'Com_update', 'Com_update_multi', 'Com_delete', "
    "'Com_delete_multi', 'Com_replace', 'Com_replace_select', 'Com_load'";

std::int64_t number(const std::optional<std::string>& text) {
  return text ? std::stoll(*text) : 0;
}

Sample read_sample(mysql::Session& session, const MysqlFrozenTarget& target) {
  Sample sample;
  sample.read_only_off = session.value("SELECT @@global.read_only") == "0";
  if (!session.mariadb())
    sample.super_read_only = session.value("SELECT @@global.super_read_only") == "1";
  if (!target.users.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& user : target.users)
      quoted.push_back(session.quote_literal(user));
    for (const mysql::Row& row : session.query(fmt::format(
             "SELECT ID, USER FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
             "AND USER IN ({})",
             fmt::join(quoted, ", ")))) {
      sample.by_user[row.at(1).value_or("")].insert(number(row.at(0)));
    }
  }
  // A write transaction has changed rows, or holds locks without being read-only (SELECT ... FOR
  // UPDATE, LOCK IN SHARE MODE). Cutover's own sessions are READ ONLY and lock nothing.
  for (const mysql::Row& row :
       session.query("SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX "
                     "WHERE trx_mysql_thread_id <> CONNECTION_ID() AND (trx_rows_modified > 0 OR "
                     "(trx_is_read_only = 0 AND trx_lock_structs > 0))")) {
    sample.writing.insert(number(row.at(0)));
  }
  return sample;
}

Reading read_all(mysql::Session& session, const MysqlFrozenTarget& target) {
  Reading reading;
  reading.sample = read_sample(session, target);
  // MySQL 8.2 renamed it SHOW BINARY LOG STATUS (and 8.4 removed the old name).
  const bool renamed = !session.mariadb() && session.server_version_number() >= 80200;
  const std::vector<mysql::Row> status =
      session.query(renamed ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS");
  if (!status.empty()) {
    reading.binlog_position = number(status.front().at(1));
    reading.binlog =
        fmt::format("{}:{}", status.front().at(0).value_or(""), reading.binlog_position);
  }
  reading.gtid = session
                     .value(session.mariadb() ? "SELECT @@global.gtid_binlog_pos"
                                              : "SELECT @@global.gtid_executed")
                     .value_or("");
  for (const mysql::Row& row : session.query(
           fmt::format("SHOW GLOBAL STATUS WHERE Variable_name IN ({})", kWriteCounters))) {
    reading.write_statements += number(row.at(1));
  }
  const std::vector<mysql::Row> trx_id =
      session.query("SHOW GLOBAL STATUS LIKE 'Innodb_max_trx_id'");
  if (!trx_id.empty()) reading.max_trx_id = number(trx_id.front().at(1));
  return reading;
}

void merge(Sample& into, const Sample& from) {
  into.read_only_off = into.read_only_off || from.read_only_off;
  if (from.super_read_only) into.super_read_only = from.super_read_only;
  for (const auto& [user, ids] : from.by_user)
    into.by_user[user].insert(ids.begin(), ids.end());
  into.writing.insert(from.writing.begin(), from.writing.end());
}

std::string plural(std::int64_t count, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

std::string binlog_text(const Reading& reading) {
  std::string text = reading.binlog.value_or("off");
  if (!reading.gtid.empty()) text += fmt::format(" (GTID {})", reading.gtid);
  return text;
}

// What breaks the freeze, each as expected against found.
std::vector<std::string> breaches(const MysqlFrozenTarget& target, const Reading& first,
                                  const Reading& last, const Sample& sample) {
  std::vector<std::string> parts;
  if (target.require_read_only && sample.read_only_off)
    parts.push_back("read_only was OFF, expected ON");
  if (first.binlog != last.binlog || first.gtid != last.gtid) {
    parts.push_back(fmt::format("the binary log moved from {} to {}, expected no change",
                                binlog_text(first), binlog_text(last)));
  }
  if (first.max_trx_id && last.max_trx_id && first.max_trx_id != last.max_trx_id) {
    parts.push_back(fmt::format(
        "InnoDB's transaction counter (Innodb_max_trx_id) moved from {} to {}, expected no change",
        *first.max_trx_id, *last.max_trx_id));
  }
  // Without a binary log or InnoDB's counter the statement counters are all there is; they
  // count statements read_only refused too.
  const std::int64_t statements = last.write_statements - first.write_statements;
  if (!last.binlog && !last.max_trx_id && statements > 0) {
    parts.push_back(
        fmt::format("{} ran (Com_insert, Com_update, ...; the binary log is off), "
                    "expected none",
                    plural(statements, "write statement", "write statements")));
  }
  for (const auto& [user, ids] : sample.by_user)
    parts.push_back(
        fmt::format("user {} had {}, expected none", user,
                    plural(static_cast<std::int64_t>(ids.size()), "session", "sessions")));
  if (!sample.writing.empty()) {
    parts.push_back(fmt::format("{} an open write transaction, expected none",
                                sample.writing.size() == 1
                                    ? std::string("1 session had")
                                    : fmt::format("{} sessions had", sample.writing.size())));
  }
  return parts;
}

CheckResult verdict(const MysqlFrozenTarget& target, const Reading& first, const Reading& last,
                    const Sample& sample) {
  const std::string window = format_duration(target.window);
  const std::vector<std::string> parts = breaches(target, first, last, sample);
  if (!parts.empty())
    return CheckResult::failed(fmt::format("during {}: {}", window, fmt::join(parts, "; ")));
  std::string message = fmt::format(
      "no writes to '{}' during {}: read_only {}, binary log at {}", target.database->name, window,
      sample.read_only_off ? "OFF (not required)" : "ON", binlog_text(last));
  if (!target.users.empty())
    message += fmt::format(", and no sessions of {}", fmt::join(target.users, ", "));
  return CheckResult::passed(std::move(message));
}

std::string details(const Reading& first, const Reading& last, const Sample& sample) {
  std::vector<std::string> lines;
  lines.push_back(fmt::format("binary log: {} to {}", binlog_text(first), binlog_text(last)));
  if (!last.binlog)
    lines.push_back("the binary log is off: only the write statement counters show writes");
  if (const std::int64_t statements = last.write_statements - first.write_statements) {
    lines.push_back(fmt::format("write statements run: {} (refused ones count)", statements));
  }
  if (sample.super_read_only)
    lines.push_back(fmt::format("super_read_only: {}", *sample.super_read_only ? "ON" : "OFF"));
  for (const auto& [user, ids] : sample.by_user)
    lines.push_back(fmt::format("user {}: connections {}", user, fmt::join(ids, ", ")));
  if (!sample.writing.empty()) {
    lines.push_back(
        fmt::format("open write transactions: connections {}", fmt::join(sample.writing, ", ")));
  }
  return fmt::format("{}", fmt::join(lines, "\n"));
}

CheckResult judge(const MysqlFrozenTarget& target, const Reading& first, const Reading& last,
                  const Sample& sample, Duration elapsed) {
  CheckResult result = verdict(target, first, last, sample);
  result.details = details(first, last, sample);
  const auto add = [&result](std::string name, double value, std::string unit) {
    result.measurements.push_back({std::move(name), value, std::move(unit)});
  };
  std::size_t user_sessions = 0;
  for (const auto& [user, ids] : sample.by_user)
    user_sessions += ids.size();
  add("window_ms", to_milliseconds(elapsed), "ms");
  add("write_statements", static_cast<double>(last.write_statements - first.write_statements), "");
  if (first.binlog && last.binlog &&
      first.binlog->substr(0, first.binlog->rfind(':')) ==
          last.binlog->substr(0, last.binlog->rfind(':'))) {
    add("binlog_bytes", static_cast<double>(last.binlog_position - first.binlog_position), "bytes");
  }
  add("user_sessions", static_cast<double>(user_sessions), "");
  add("write_transactions", static_cast<double>(sample.writing.size()), "");
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

// One attempt: a reading, samples every 500ms on a timer, a last reading when the window ends.
// One job at a time, so one pooled connection.
class WatchAttempt : public database::Attempt<WatchAttempt> {
  friend Attempt;

 public:
  WatchAttempt(std::shared_ptr<const MysqlFrozenTarget> target, CheckContext& context,
               Completion done)
      : Attempt(context, std::move(done)), target_(std::move(target)), timer_(context.io) {}

  void start() {
    if (!watch()) return;
    const Clock::time_point started = Clock::now();
    budget_end_ = own_budget(job_context()).end;
    const Duration left = budget_end_ - started;
    if (left < target_->window + kLeastRoom) {
      boost::asio::post(job_context().io, [self = shared_from_this(), left] {
        self->finish(CheckResult::error(window_does_not_fit(self->target_->window, left)));
      });
      return;
    }
    run<Reading>(read_all, [started](WatchAttempt& self, Reading first) {
      self.open_window(std::move(first), started);
    });
  }

 private:
  // Runs `job(session, target)` on the database, then `next(self, value)` on the event loop; a
  // failed job ends the attempt.
  template <typename T, typename Next>
  void run(T (*job)(mysql::Session&, const MysqlFrozenTarget&), Next next) {
    mysql::run<T>(
        job_context(), target_->database,
        [job, target = target_](mysql::Session& session) { return job(session, *target); },
        then([next](WatchAttempt& self, Expected<T> value) {
          if (!value) return self.finish(CheckResult::error(value.error().message));
          next(self, std::move(value).value());
        }));
  }

  void open_window(Reading first, Clock::time_point started) {
    window_start_ = Clock::now();
    if (window_start_ + target_->window + kLastReadingRoom > budget_end_) {
      return finish(CheckResult::error(fmt::format(
          "the first reading took {}: the window of {} no longer fits in the attempt's budget; "
          "raise timeout",
          format_duration(
              std::chrono::duration_cast<std::chrono::milliseconds>(window_start_ - started)),
          format_duration(target_->window))));
    }
    sample_ = first.sample;
    first_ = std::move(first);
    tick();
  }

  // Waits for the next sample, or for the window's end.
  void tick() {
    const Clock::time_point end = window_start_ + target_->window;
    timer_.expires_at(std::min(Clock::now() + kSampleEvery, end));
    timer_.async_wait([self = shared_from_this(), end](boost::system::error_code error) {
      if (error || self->stopped()) return;
      if (Clock::now() >= end) return self->read_last();
      self->run<Sample>(read_sample, [](WatchAttempt& self, Sample sample) {
        merge(self.sample_, sample);
        self.tick();
      });
    });
  }

  void read_last() {
    run<Reading>(read_all, [](WatchAttempt& self, Reading last) {
      const Duration elapsed = Clock::now() - self.window_start_;
      merge(self.sample_, last.sample);
      self.finish(judge(*self.target_, *self.first_, last, self.sample_, elapsed));
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

  std::shared_ptr<const MysqlFrozenTarget> target_;
  boost::asio::steady_timer timer_;
  std::optional<Reading> first_;
  Sample sample_;
  Clock::time_point budget_end_{};
  Clock::time_point window_start_{};
};

}  // namespace

KindSpec MysqlFrozenCheck::spec() {
  return {
      "The change freeze is real on a MySQL/MariaDB server: during a window read_only stays ON, "
      "the binary log and GTID positions and InnoDB's transaction counter (Innodb_max_trx_id, "
      "MariaDB) do not move (server-wide), "
      "no session holds an open write transaction, and, optionally, no session of the listed "
      "users is connected.",
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
          {.name = "users",
           .type = FieldType::string_list,
           .description = "user names (information_schema.PROCESSLIST USER) that must have no "
                          "session connected to the server at any moment of the window (sampled "
                          "every 500ms)",
           .non_empty = true},
          {.name = "require_read_only",
           .type = FieldType::boolean,
           .description = "read_only must be ON at every reading of the window; false: reported "
                          "only (a freeze kept by the applications alone)",
           .default_value = "true"},
      }};
}

MysqlFrozenCheck::MysqlFrozenCheck(Fields& fields) {
  auto target = std::make_shared<MysqlFrozenTarget>();
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
  target->users = fields.strings("users");
  target->require_read_only = fields.boolean("require_read_only", true);
  target_ = std::move(target);
}

MysqlFrozenCheck::~MysqlFrozenCheck() = default;

void MysqlFrozenCheck::start(CheckContext& context, Completion done) {
  std::make_shared<WatchAttempt>(target_, context, std::move(done))->start();
}

std::string MysqlFrozenCheck::describe() const {
  std::string text =
      fmt::format("{} frozen for {}", target_->database ? target_->database->name : "?",
                  format_duration(target_->window));
  if (!target_->require_read_only) text += ", read_only not required";
  if (!target_->users.empty())
    text += fmt::format("; no sessions of {}", fmt::join(target_->users, ", "));
  return text;
}

}  // namespace cutover
