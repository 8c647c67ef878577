#include "checks/mysql/replication.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checks/database/attempt.hpp"
#include "checks/mysql/session.hpp"
#include "harness/duration.hpp"

namespace cutover {

namespace detail {

struct MysqlReplicationTarget {
  std::shared_ptr<const Database> source;
  std::shared_ptr<const Database> target;
  std::int64_t max_lag_transactions = 0;
  std::optional<Duration> max_lag;
};

}  // namespace detail

namespace {

using detail::MysqlReplicationTarget;
using namespace std::chrono_literals;

// How long an attempt reads a replica again whose threads run but that has not applied the
// source's position yet: a replica a few transactions behind catches up within milliseconds.
constexpr auto kSettle = 2s;

// The source's GTID position when the check began.
struct SourcePosition {
  bool mariadb = false;
  std::string gtid;  // MariaDB: gtid_binlog_pos "0-1-105,1-2-7"; MySQL: gtid_executed
};

// One replication channel of the replica: a row of SHOW REPLICA STATUS, under the names this
// server gives its columns (Slave_IO_Running or Replica_IO_Running, ...).
struct Channel {
  std::string name;  // MySQL's Channel_Name, MariaDB's Connection_name; empty: the default
  std::string io_column = "Slave_IO_Running";
  std::string io_running;  // Yes, No, Connecting
  std::string sql_column = "Slave_SQL_Running";
  std::string sql_running;
  std::string seconds_column = "Seconds_Behind_Master";
  std::optional<std::int64_t> seconds_behind;  // NULL while a thread is stopped
  std::string io_error;                        // "2003: Can't connect ..."; empty when none
  std::string sql_error;
  std::string source_address;  // "127.0.0.1:3306"
  std::string sql_state;       // what the SQL thread is doing
};

struct ReplicaState {
  std::string status_statement;   // SHOW REPLICA STATUS or SHOW SLAVE STATUS
  std::vector<Channel> channels;  // empty: not a replica
  std::string position;           // MariaDB: gtid_slave_pos; MySQL: gtid_executed
  std::int64_t behind = 0;        // transactions of the source's position not applied
  std::string missing;            // what is not applied, for the message
};

bool running(const ReplicaState& state) {
  return !state.channels.empty() &&
         std::all_of(state.channels.begin(), state.channels.end(), [](const Channel& channel) {
           return channel.io_running == "Yes" && channel.sql_running == "Yes";
         });
}

// Lag in time: none when every transaction is applied; otherwise Seconds_Behind_Master, the
// largest of the channels', unknown when any is NULL.
std::optional<std::int64_t> lag_ms(const ReplicaState& state) {
  if (state.behind == 0) return 0;
  std::optional<std::int64_t> largest;
  for (const Channel& channel : state.channels) {
    if (!channel.seconds_behind) return std::nullopt;
    largest = std::max(largest.value_or(0), *channel.seconds_behind * 1000);
  }
  return largest;
}

bool caught_up(const MysqlReplicationTarget& target, const ReplicaState& state) {
  if (state.behind > target.max_lag_transactions) return false;
  if (!target.max_lag) return true;
  const std::optional<std::int64_t> lag = lag_ms(state);
  return lag && std::chrono::milliseconds(*lag) <= *target.max_lag;
}

std::int64_t to_integer(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// The parts of `text` between `separator`s, blanks and newlines around them dropped (the server
// writes long GTID sets over several lines).
std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find(separator), text.size());
    std::string_view part = text.substr(0, end);
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front())))
      part.remove_prefix(1);
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.back())))
      part.remove_suffix(1);
    if (!part.empty()) parts.push_back(part);
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return parts;
}

// MariaDB's GTID position "0-1-105,1-2-7": each domain's last sequence number.
std::map<std::int64_t, std::int64_t> mariadb_sequences(std::string_view position) {
  std::map<std::int64_t, std::int64_t> sequences;
  for (const std::string_view gtid : split(position, ',')) {
    const std::vector<std::string_view> parts = split(gtid, '-');
    if (parts.size() == 3) sequences[to_integer(parts[0])] = to_integer(parts[2]);
  }
  return sequences;
}

// The transactions in a MySQL GTID set, "uuid:1-5:7,uuid2[:tag]:3": each interval's length.
std::int64_t mysql_transactions(std::string_view set) {
  std::int64_t count = 0;
  for (const std::string_view member : split(set, ',')) {
    const std::vector<std::string_view> parts = split(member, ':');
    for (std::size_t i = 1; i < parts.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(parts[i].front()))) continue;  // a tag
      const std::vector<std::string_view> ends = split(parts[i], '-');
      count += ends.size() == 2 ? to_integer(ends[1]) - to_integer(ends[0]) + 1 : 1;
    }
  }
  return count;
}

// MySQL writes a long GTID set over several lines ("uuid1:1-5,\nuuid2:1-3"): one line for
// messages.
std::string one_line(std::optional<std::string> text) {
  std::string line = text.value_or("");
  std::erase(line, '\n');
  return line;
}

SourcePosition read_source(mysql::Session& session) {
  SourcePosition position;
  position.mariadb = session.mariadb();
  const std::string name = session.database().name;
  if (position.mariadb) {
    const mysql::Row row = session.query("SELECT @@GLOBAL.log_bin, @@GLOBAL.gtid_binlog_pos").at(0);
    if (row.at(0).value_or("0") != "1") {
      throw database::JobError(fmt::format(
          "database '{}' has no binary log (log_bin is OFF): a replica follows its source's "
          "binary log",
          name));
    }
    position.gtid = row.at(1).value_or("");
  } else {
    const mysql::Row row = session.query("SELECT @@GLOBAL.gtid_mode, @@GLOBAL.gtid_executed").at(0);
    if (row.at(0).value_or("OFF") != "ON") {
      throw database::JobError(fmt::format(
          "database '{}' has gtid_mode {}, expected ON: the replica's position is compared by GTID",
          name, row.at(0).value_or("NULL")));
    }
    position.gtid = one_line(row.at(1));
  }
  return position;
}

// The value of the first of `names` the result has, with that name; nullopt for NULL.
std::optional<std::string> column(const mysql::NamedRows& result, const mysql::Row& row,
                                  std::initializer_list<std::string_view> names,
                                  std::string* found_name = nullptr) {
  for (const std::string_view name : names) {
    for (std::size_t i = 0; i < result.columns.size() && i < row.size(); ++i) {
      if (result.columns[i] != name) continue;
      if (found_name != nullptr) *found_name = result.columns[i];
      return row[i];
    }
  }
  return std::nullopt;
}

// "1146: Table 'shop.x' doesn't exist" when the error number is set; empty otherwise.
std::string last_error(const mysql::NamedRows& result, const mysql::Row& row,
                       std::string_view number, std::string_view text) {
  const std::string errno_text = column(result, row, {number}).value_or("0");
  if (errno_text.empty() || errno_text == "0") return {};
  return fmt::format("{}: {}", errno_text, column(result, row, {text}).value_or(""));
}

Channel read_channel(const mysql::NamedRows& result, const mysql::Row& row) {
  Channel channel;
  channel.name = column(result, row, {"Channel_Name", "Connection_name"}).value_or("");
  channel.io_running =
      column(result, row, {"Replica_IO_Running", "Slave_IO_Running"}, &channel.io_column)
          .value_or("NULL");
  channel.sql_running =
      column(result, row, {"Replica_SQL_Running", "Slave_SQL_Running"}, &channel.sql_column)
          .value_or("NULL");
  if (const auto seconds = column(result, row, {"Seconds_Behind_Source", "Seconds_Behind_Master"},
                                  &channel.seconds_column)) {
    channel.seconds_behind = to_integer(*seconds);
  }
  channel.io_error = last_error(result, row, "Last_IO_Errno", "Last_IO_Error");
  channel.sql_error = last_error(result, row, "Last_SQL_Errno", "Last_SQL_Error");
  channel.source_address =
      fmt::format("{}:{}", column(result, row, {"Source_Host", "Master_Host"}).value_or("?"),
                  column(result, row, {"Source_Port", "Master_Port"}).value_or("?"));
  channel.sql_state =
      column(result, row, {"Replica_SQL_Running_State", "Slave_SQL_Running_State"}).value_or("");
  return channel;
}

// The replica's channels, then its GTID position against the source's.
ReplicaState read_replica_once(mysql::Session& session, const SourcePosition& source) {
  ReplicaState state;
  const unsigned long version = session.server_version_number();
  const bool replica_names = session.mariadb() ? version >= 100500 : version >= 80022;
  state.status_statement = replica_names ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS";
  const mysql::NamedRows status = session.query_named(state.status_statement);
  for (const mysql::Row& row : status.rows)
    state.channels.push_back(read_channel(status, row));
  if (state.channels.empty()) return state;
  if (source.mariadb) {
    state.position = session.value("SELECT @@GLOBAL.gtid_slave_pos").value_or("");
    const auto applied = mariadb_sequences(state.position);
    std::vector<std::string> domains;
    for (const auto& [domain, sequence] : mariadb_sequences(source.gtid)) {
      const auto it = applied.find(domain);
      const std::int64_t done = it == applied.end() ? 0 : it->second;
      if (done >= sequence) continue;
      state.behind += sequence - done;
      domains.push_back(fmt::format("domain {} at {} of {}", domain, done, sequence));
    }
    state.missing = fmt::format("{}", fmt::join(domains, ", "));
  } else {
    const std::string set = session.quote_literal(source.gtid);
    const mysql::Row row = session
                               .query("SELECT @@GLOBAL.gtid_executed, GTID_SUBTRACT(" + set +
                                      ", @@GLOBAL.gtid_executed)")
                               .at(0);
    state.position = one_line(row.at(0));
    state.missing = one_line(row.at(1));
    state.behind = mysql_transactions(state.missing);
  }
  return state;
}

// The replica, read again every 100ms while it is behind but running, for up to kSettle.
ReplicaState read_replica(mysql::Session& session, const SourcePosition& source,
                          const MysqlReplicationTarget& target) {
  const auto settle_end = std::min(std::chrono::steady_clock::now() + kSettle,
                                   session.deadline() - std::chrono::milliseconds(200));
  for (bool first = true;; first = false) {
    if (!first) {
      session.set_statement_timeout();
      session.execute("DO SLEEP(0.1)");
    }
    ReplicaState state = read_replica_once(session, source);
    if (state.channels.empty()) {
      throw database::JobError(fmt::format(
          "database '{}' is not a replica ({} returned no row): expected a replica of source",
          session.database().name, state.status_statement));
    }
    if (caught_up(target, state) || !running(state) ||
        std::chrono::steady_clock::now() >= settle_end) {
      return state;
    }
  }
}

// "Slave_SQL_Running is No, expected Yes (last error 1146: ...)" for each thread not running.
void judge_threads(const ReplicaState& state, std::vector<std::string>& problems) {
  for (const Channel& channel : state.channels) {
    const std::string prefix =
        state.channels.size() > 1 ? fmt::format("channel '{}': ", channel.name) : "";
    const auto judge = [&](const std::string& name, const std::string& value,
                           const std::string& error) {
      if (value == "Yes") return;
      std::string problem = fmt::format("{}{} is {}, expected Yes", prefix, name, value);
      if (!error.empty()) problem += fmt::format(" (last error {})", error);
      problems.push_back(std::move(problem));
    };
    judge(channel.io_column, channel.io_running, channel.io_error);
    judge(channel.sql_column, channel.sql_running, channel.sql_error);
  }
}

std::string plural(std::int64_t count, std::string_view word) {
  return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s");
}

CheckResult judge(const MysqlReplicationTarget& target, const SourcePosition& source,
                  const ReplicaState& state) {
  std::vector<std::string> problems;
  judge_threads(state, problems);
  if (state.behind > target.max_lag_transactions) {
    problems.push_back(fmt::format(
        "lag {}, at most {} allowed ({})", plural(state.behind, "transaction"),
        target.max_lag_transactions,
        source.mariadb ? fmt::format("source at GTID {}, target's gtid_slave_pos has {}",
                                     source.gtid, state.missing)
                       : fmt::format("target lacks source's GTIDs {}", state.missing)));
  }
  const std::optional<std::int64_t> lag = lag_ms(state);
  const std::string seconds_column = state.channels.front().seconds_column;
  if (target.max_lag) {
    if (!lag) {
      problems.push_back(fmt::format(
          "lag in time unknown: {} is NULL (the SQL thread is stopped or the IO thread is not "
          "connected)",
          seconds_column));
    } else if (std::chrono::milliseconds(*lag) > *target.max_lag) {
      problems.push_back(fmt::format("lag {}ms ({}), at most {} allowed", *lag, seconds_column,
                                     format_duration(*target.max_lag)));
    }
  }
  CheckResult result;
  if (problems.empty()) {
    std::string message = fmt::format("target is a replica, IO and SQL threads running, lag {}",
                                      plural(state.behind, "transaction"));
    if (target.max_lag && lag) message += fmt::format(", {}ms", *lag);
    result = CheckResult::passed(std::move(message));
  } else {
    result = CheckResult::failed(fmt::format("{}", fmt::join(problems, "; ")));
  }
  result.details = fmt::format("source GTID position {} when checked\ntarget applied up to {} ({})",
                               source.gtid.empty() ? "empty" : source.gtid,
                               state.position.empty() ? "nothing" : state.position,
                               source.mariadb ? "gtid_slave_pos" : "gtid_executed");
  for (const Channel& channel : state.channels) {
    result.details +=
        fmt::format("\n{}replicating from {}: {} {}, {} {}, {} {}{}",
                    channel.name.empty() ? "" : fmt::format("channel '{}' ", channel.name),
                    channel.source_address, channel.io_column, channel.io_running,
                    channel.sql_column, channel.sql_running, channel.seconds_column,
                    channel.seconds_behind ? std::to_string(*channel.seconds_behind) : "NULL",
                    channel.sql_state.empty() ? "" : fmt::format(" ({})", channel.sql_state));
  }
  result.measurements.push_back(
      {"lag_transactions", static_cast<double>(state.behind), "transactions"});
  if (lag) result.measurements.push_back({"lag_ms", static_cast<double>(*lag), "ms"});
  return result;
}

// One attempt: the source's GTID position, then the replica's state against it. A failed job
// ends the attempt with an error that names the side.
class ReplicaAttempt : public database::Attempt<ReplicaAttempt> {
 public:
  ReplicaAttempt(std::shared_ptr<const MysqlReplicationTarget> target, CheckContext& context,
                 Completion done)
      : Attempt(context, std::move(done)), target_(std::move(target)) {}

  void start() {
    if (!watch()) return;
    read<SourcePosition>("source", target_->source, read_source,
                         [](ReplicaAttempt& self, SourcePosition position) {
                           self.source_ = std::move(position);
                           self.read_target();
                         });
  }

 private:
  void read_target() {
    read<ReplicaState>(
        "target", target_->target,
        [source = source_, target = target_](mysql::Session& session) {
          return read_replica(session, source, *target);
        },
        [](ReplicaAttempt& self, ReplicaState state) {
          self.finish(judge(*self.target_, self.source_, state));
        });
  }

  // `next(ReplicaAttempt&, T)` runs on the event loop with the job's value.
  template <typename T, typename Job, typename Next>
  void read(const char* side, const std::shared_ptr<const Database>& database, Job job, Next next) {
    mysql::run<T>(job_context(), database, std::move(job),
                  then([side, next = std::move(next)](ReplicaAttempt& self, Expected<T> value) {
                    if (!value)
                      return self.finish(
                          CheckResult::error(fmt::format("{}: {}", side, value.error().message)));
                    next(self, std::move(value).value());
                  }));
  }

  std::shared_ptr<const MysqlReplicationTarget> target_;
  SourcePosition source_;
};

}  // namespace

KindSpec MysqlReplicationCheck::spec() {
  return {
      .description =
          "A MySQL/MariaDB replica has caught up with its source: its IO and SQL threads run "
          "(SHOW REPLICA STATUS), and it has applied the source's GTID position (MariaDB: "
          "gtid_binlog_pos against gtid_slave_pos; MySQL: gtid_executed) but "
          "max_lag_transactions. With retry: until:, waits for the replica to catch up before a "
          "cutover.",
      .fields =
          {
              {.name = "source",
               .type = FieldType::database,
               .required = true,
               .description = "the source the replica follows, whose GTID position is read first"},
              {.name = "target",
               .type = FieldType::database,
               .required = true,
               .description = "the replica"},
              {.name = "max_lag_transactions",
               .type = FieldType::integer,
               .description = "transactions of the source's GTID position the replica may not "
                              "have applied yet",
               .default_value = "0",
               .min = 0},
              {.name = "max_lag",
               .type = FieldType::duration,
               .description = "lag in time: 0 when every transaction is applied, else "
                              "Seconds_Behind_Master (Seconds_Behind_Source)"},
          },
  };
}

MysqlReplicationCheck::MysqlReplicationCheck(Fields& fields) {
  auto target = std::make_shared<MysqlReplicationTarget>();
  target->source = fields.database("source");
  target->target = fields.database("target");
  if (target->source == nullptr) fields.error("source", "source: expected the name of a database");
  if (target->target == nullptr) fields.error("target", "target: expected the name of a database");
  target->max_lag_transactions = fields.integer("max_lag_transactions", 0);
  if (fields.has("max_lag")) target->max_lag = fields.duration("max_lag");
  target_ = std::move(target);
}

MysqlReplicationCheck::~MysqlReplicationCheck() = default;

void MysqlReplicationCheck::start(CheckContext& context, Completion done) {
  std::make_shared<ReplicaAttempt>(target_, context, std::move(done))->start();
}

std::string MysqlReplicationCheck::describe() const {
  std::string text =
      fmt::format("replica {} of {}, lag at most {}", target_->target ? target_->target->name : "?",
                  target_->source ? target_->source->name : "?",
                  plural(target_->max_lag_transactions, "transaction"));
  if (target_->max_lag) text += " and " + format_duration(*target_->max_lag);
  return text;
}

}  // namespace cutover
