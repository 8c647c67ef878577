#include "checks/postgres/replication.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pqxx/result>
#include <pqxx/transaction>

#include "checks/database/attempt.hpp"
#include "checks/postgres/pool.hpp"

namespace cutover {

namespace detail {

struct ReplicationTarget {
  std::shared_ptr<const Database> source;
  std::shared_ptr<const Database> target;
  std::string subscription;  // empty: the only one of the target's database
  std::int64_t max_lag_bytes = 0;
  std::optional<Duration> max_lag;
  bool physical = false;  // mode physical: target is a streaming standby of source
};

}  // namespace detail

namespace {

using detail::ReplicationTarget;
using namespace std::chrono_literals;

// Tables not ready named in the message; the details list them all.
constexpr std::size_t kNamedInMessage = 3;
// How long an attempt waits for an active slot to confirm WAL written before the check began:
// an idle subscriber confirms WAL with nothing for it (other databases' writes) on the
// walsender's keepalives, within milliseconds to a second.
constexpr auto kSettle = 2s;

struct TableState {
  std::string name;  // schema.name
  char state = 'r';
};

struct TargetState {
  std::string subscription;
  bool enabled = false;
  std::optional<std::string> slot;
  std::vector<TableState> tables;
  bool worker = false;                      // pg_stat_subscription has the apply worker
  std::optional<std::string> received_lsn;  // by the apply worker
  std::optional<double> since_report_ms;    // now - latest_end_time
};

struct SourceState {
  bool found = false;
  bool active = false;
  std::optional<std::string> confirmed_lsn;
  std::string start_lsn;  // pg_current_wal_lsn() when the check began
  std::optional<std::int64_t> lag_bytes;
};

std::string explain(char state) {
  switch (state) {
    case 'i':
      return "i: initializing";
    case 'd':
      return "d: copying data";
    case 'f':
      return "f: finished copy";
    case 's':
      return "s: synchronized";
    case 'r':
      return "r: ready";
    default:
      return fmt::format("{}: unknown state", state);
  }
}

template <typename T>
std::optional<T> optional_field(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<T>();
}

// The subscription, its tables and its apply worker, in one snapshot of the target.
TargetState read_target(postgres::Session& session, const std::string& wanted,
                        const std::string& database) {
  pqxx::read_transaction transaction(session.connection());
  const pqxx::result subscriptions = transaction.exec(
      "SELECT s.oid, s.subname, s.subenabled, s.subslotname FROM pg_subscription s "
      "JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database() "
      "ORDER BY s.subname");
  std::vector<std::string> names;
  for (const auto& row : subscriptions)
    names.push_back(row[1].as<std::string>());
  std::optional<pqxx::row> chosen;
  if (wanted.empty()) {
    if (names.empty()) {
      throw postgres::JobError(fmt::format(
          "database '{}' has no subscription (expected the one replicating from source)",
          database));
    }
    if (names.size() > 1) {
      throw postgres::JobError(
          fmt::format("database '{}' has {} subscriptions ({}): name one with subscription",
                      database, names.size(), fmt::join(names, ", ")));
    }
    chosen = subscriptions[0];
  } else {
    for (const auto& row : subscriptions) {
      if (row[1].as<std::string>() == wanted) chosen = row;
    }
    if (!chosen) {
      throw postgres::JobError(
          names.empty() ? fmt::format("database '{}' has no subscription '{}' (it has none)",
                                      database, wanted)
                        : fmt::format("database '{}' has no subscription '{}' (it has: {})",
                                      database, wanted, fmt::join(names, ", ")));
    }
  }
  const auto oid = (*chosen)[0].as<std::int64_t>();
  TargetState state;
  state.subscription = (*chosen)[1].as<std::string>();
  state.enabled = (*chosen)[2].as<bool>();
  state.slot = optional_field<std::string>((*chosen)[3]);

  for (const auto& row : transaction.exec_params(
           "SELECT n.nspname || '.' || c.relname, r.srsubstate::text FROM pg_subscription_rel r "
           "JOIN pg_class c ON c.oid = r.srrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
           "WHERE r.srsubid = $1 ORDER BY n.nspname, c.relname",
           oid)) {
    const std::string letter = row[1].as<std::string>();
    state.tables.push_back({row[0].as<std::string>(), letter.empty() ? '?' : letter[0]});
  }

  const pqxx::result worker = transaction.exec_params(
      "SELECT received_lsn::text, "
      "(extract(epoch FROM clock_timestamp() - latest_end_time) * 1000)::float8 "
      "FROM pg_stat_subscription WHERE subid = $1 AND relid IS NULL",
      oid);
  if (!worker.empty() && !worker[0][0].is_null()) {
    state.worker = true;
    state.received_lsn = optional_field<std::string>(worker[0][0]);
    state.since_report_ms = optional_field<double>(worker[0][1]);
  }
  return state;
}

// The slot on the source. Lag is the WAL written up to the start of the check that the slot has
// not confirmed: when it is above the limit and the slot is active, the slot is read again every
// 100ms for up to kSettle, so an idle subscriber that confirms on the next keepalive passes.
SourceState read_source(postgres::Session& session, const std::string& slot,
                        std::int64_t max_lag_bytes) {
  SourceState state;
  {
    pqxx::read_transaction transaction(session.connection());
    const pqxx::result rows = transaction.exec_params(
        "SELECT active, confirmed_flush_lsn::text, pg_current_wal_lsn()::text, "
        "pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint "
        "FROM pg_replication_slots WHERE slot_name = $1",
        slot);
    if (rows.empty()) return state;
    state.found = true;
    state.active = rows[0][0].as<bool>();
    state.confirmed_lsn = optional_field<std::string>(rows[0][1]);
    state.start_lsn = rows[0][2].as<std::string>();
    state.lag_bytes = optional_field<std::int64_t>(rows[0][3]);
  }
  const auto settle_end = std::min(std::chrono::steady_clock::now() + kSettle,
                                   session.deadline() - std::chrono::milliseconds(200));
  while (state.active && state.lag_bytes && *state.lag_bytes > max_lag_bytes &&
         std::chrono::steady_clock::now() < settle_end) {
    session.set_statement_timeout();
    pqxx::read_transaction transaction(session.connection());
    transaction.exec("SELECT pg_sleep(0.1)");
    const pqxx::result rows = transaction.exec_params(
        "SELECT active, confirmed_flush_lsn::text, "
        "pg_wal_lsn_diff($2::pg_lsn, confirmed_flush_lsn)::bigint "
        "FROM pg_replication_slots WHERE slot_name = $1",
        slot, state.start_lsn);
    if (rows.empty()) {
      state.found = false;
      break;
    }
    state.active = rows[0][0].as<bool>();
    state.confirmed_lsn = optional_field<std::string>(rows[0][1]);
    state.lag_bytes = optional_field<std::int64_t>(rows[0][2]);
  }
  if (state.lag_bytes) state.lag_bytes = std::max<std::int64_t>(0, *state.lag_bytes);
  return state;
}

// Physical mode: the primary's WAL position, read first.
std::string read_primary(postgres::Session& session) {
  pqxx::read_transaction transaction(session.connection());
  const pqxx::row row = transaction.exec1(
      "SELECT pg_is_in_recovery(), CASE WHEN pg_is_in_recovery() THEN '' "
      "ELSE pg_current_wal_lsn()::text END");
  if (row[0].as<bool>()) {
    throw postgres::JobError(
        "source is itself a standby (pg_is_in_recovery() is true): give the primary as source");
  }
  return row[1].as<std::string>();
}

struct StandbyState {
  bool in_recovery = false;
  bool paused = false;
  std::optional<std::string> replay_lsn;
  std::optional<std::int64_t> lag_bytes;  // source's position - replayed, at least 0
  std::optional<double> since_replay_ms;  // now - pg_last_xact_replay_timestamp()
  std::optional<std::string> receiver;    // "streaming from 127.0.0.1:5432"
};

// Physical mode: what the standby has replayed of the WAL the source had written when the check
// began. Above the limit, read again every 100ms for up to kSettle (not while replay is paused),
// so a standby a few milliseconds behind passes.
StandbyState read_standby(postgres::Session& session, const std::string& source_lsn,
                          std::int64_t max_lag_bytes) {
  const auto settle_end = std::min(std::chrono::steady_clock::now() + kSettle,
                                   session.deadline() - std::chrono::milliseconds(200));
  StandbyState state;
  for (bool first = true;; first = false) {
    if (!first) session.set_statement_timeout();
    pqxx::read_transaction transaction(session.connection());
    if (!first) transaction.exec("SELECT pg_sleep(0.1)");
    const pqxx::row row = transaction.exec_params1(
        "SELECT pg_is_in_recovery(), "
        "CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() <> 'not paused' "
        "ELSE false END, pg_last_wal_replay_lsn()::text, "
        "pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::bigint, "
        "(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::float8, "
        "(SELECT status || ' from ' || coalesce(sender_host, '?') || ':' || "
        "coalesce(sender_port::text, '?') FROM pg_stat_wal_receiver)",
        source_lsn);
    state.in_recovery = row[0].as<bool>();
    state.paused = row[1].as<bool>();
    state.replay_lsn = optional_field<std::string>(row[2]);
    state.lag_bytes = optional_field<std::int64_t>(row[3]);
    state.since_replay_ms = optional_field<double>(row[4]);
    state.receiver = optional_field<std::string>(row[5]);
    if (!state.in_recovery || state.paused || !state.lag_bytes ||
        *state.lag_bytes <= max_lag_bytes || std::chrono::steady_clock::now() >= settle_end) {
      break;
    }
  }
  if (state.lag_bytes) state.lag_bytes = std::max<std::int64_t>(0, *state.lag_bytes);
  return state;
}

// Lag in time: none when no WAL is pending; otherwise `since_ms`, the age the server gives for
// the last position it knows applied (at least 0).
std::optional<std::int64_t> lag_in_time(std::optional<std::int64_t> lag_bytes,
                                        std::optional<double> since_ms) {
  if (lag_bytes && *lag_bytes == 0) return 0;
  if (since_ms) return std::max<std::int64_t>(0, static_cast<std::int64_t>(*since_ms));
  return std::nullopt;
}

// The max_lag rule, when given: `unknown` says why there is no lag in time to judge.
void judge_lag_in_time(const ReplicationTarget& target, std::optional<std::int64_t> lag_ms,
                       std::string unknown, std::vector<std::string>& problems) {
  if (!target.max_lag) return;
  if (!lag_ms) {
    problems.push_back(std::move(unknown));
  } else if (std::chrono::milliseconds(*lag_ms) > *target.max_lag) {
    problems.push_back(
        fmt::format("lag {}ms, at most {} allowed", *lag_ms, format_duration(*target.max_lag)));
  }
}

// Passed with `caught_up` (and the lag in time, with max_lag), or failed with every problem.
CheckResult verdict(const ReplicationTarget& target, const std::vector<std::string>& problems,
                    std::string caught_up, std::optional<std::int64_t> lag_ms) {
  if (!problems.empty()) return CheckResult::failed(fmt::format("{}", fmt::join(problems, "; ")));
  if (target.max_lag && lag_ms) caught_up += fmt::format(", {}ms", *lag_ms);
  return CheckResult::passed(std::move(caught_up));
}

void add_lag(CheckResult& result, std::optional<std::int64_t> lag_bytes,
             std::optional<std::int64_t> lag_ms) {
  if (lag_bytes)
    result.measurements.push_back({"lag_bytes", static_cast<double>(*lag_bytes), "bytes"});
  if (lag_ms) result.measurements.push_back({"lag_ms", static_cast<double>(*lag_ms), "ms"});
}

// What both modes' attempts do at each step: run a job on the source or the target, then hand
// its value on; a failed job ends the attempt with an error that names the side.
template <typename Derived>
class SidesAttempt : public database::Attempt<Derived> {
 protected:
  using database::Attempt<Derived>::Attempt;

  // `next(Derived&, T)` runs on the event loop with the job's value.
  template <typename T, typename Job, typename Next>
  void read(const char* side, const std::shared_ptr<const Database>& database, Job job, Next next) {
    postgres::run<T>(this->job_context(), database, std::move(job),
                     this->then([side, next = std::move(next)](Derived& self, Expected<T> value) {
                       if (!value)
                         return self.finish(CheckResult::error(
                             fmt::format("{}: {}", side, value.error().message)));
                       next(self, std::move(value).value());
                     }));
  }
};

// One attempt in physical mode: the source's WAL position, then the standby's replay position.
class StandbyAttempt : public SidesAttempt<StandbyAttempt> {
 public:
  StandbyAttempt(std::shared_ptr<const ReplicationTarget> target, CheckContext& context,
                 Completion done)
      : SidesAttempt(context, std::move(done)), target_(std::move(target)) {}

  void start() {
    if (!watch()) return;
    read<std::string>("source", target_->source, read_primary,
                      [](StandbyAttempt& self, std::string lsn) {
                        self.source_lsn_ = std::move(lsn);
                        self.read_target();
                      });
  }

 private:
  void read_target() {
    read<StandbyState>(
        "target", target_->target,
        [lsn = source_lsn_, max = target_->max_lag_bytes](postgres::Session& session) {
          return read_standby(session, lsn, max);
        },
        [](StandbyAttempt& self, StandbyState state) { self.report(state); });
  }

  void report(const StandbyState& s) {
    if (!s.in_recovery) {
      return finish(CheckResult::failed(
          "target is not a standby (pg_is_in_recovery() is false): mode physical expects a "
          "streaming standby of source"));
    }
    std::vector<std::string> problems;
    const std::string paused = s.paused ? " (replay is paused on target)" : "";
    if (!s.lag_bytes) {
      problems.push_back("target has replayed no WAL yet" + paused);
    } else if (*s.lag_bytes > target_->max_lag_bytes) {
      problems.push_back(fmt::format("lag {} bytes, at most {} allowed{}", *s.lag_bytes,
                                     target_->max_lag_bytes, paused));
    }
    // The age of the last transaction the standby replayed is an upper bound: an idle primary
    // makes it old without the standby lagging.
    const std::optional<std::int64_t> lag_ms = lag_in_time(s.lag_bytes, s.since_replay_ms);
    judge_lag_in_time(*target_, lag_ms,
                      "lag in time unknown: target has replayed no transaction yet", problems);
    CheckResult result =
        verdict(*target_, problems,
                fmt::format("target is a standby, lag {} bytes", s.lag_bytes.value_or(0)), lag_ms);
    result.details =
        fmt::format("source WAL at {} when checked\ntarget replayed up to {}{}\nWAL receiver: {}",
                    source_lsn_, s.replay_lsn.value_or("nothing"),
                    s.paused ? ", replay paused" : "", s.receiver.value_or("none running"));
    add_lag(result, s.lag_bytes, lag_ms);
    finish(std::move(result));
  }

  std::shared_ptr<const ReplicationTarget> target_;
  std::string source_lsn_;
};

std::size_t count_ready(const std::vector<TableState>& tables) {
  return static_cast<std::size_t>(std::count_if(
      tables.begin(), tables.end(), [](const TableState& table) { return table.state == 'r'; }));
}

// The subscription's tables not ready, the first few named; none when all are.
std::optional<std::string> tables_not_ready(const std::vector<TableState>& tables) {
  std::vector<std::string> not_ready;
  for (const TableState& table : tables) {
    if (table.state != 'r')
      not_ready.push_back(fmt::format("{} ({})", table.name, explain(table.state)));
  }
  if (not_ready.empty()) return std::nullopt;
  std::vector<std::string> named(not_ready.begin(),
                                 not_ready.begin() + std::min(not_ready.size(), kNamedInMessage));
  std::string text =
      fmt::format("{} {} not ready: {}", not_ready.size(),
                  not_ready.size() == 1 ? "table" : "tables", fmt::join(named, ", "));
  if (not_ready.size() > named.size())
    text += fmt::format(", and {} more", not_ready.size() - named.size());
  return text;
}

// The lag in bytes of the subscription's slot on the source, when known; what is wrong with the
// slot, or a lag past max_lag_bytes, goes to `problems`.
std::optional<std::int64_t> slot_lag(const ReplicationTarget& target, const TargetState& t,
                                     const SourceState& s, std::vector<std::string>& problems) {
  if (!t.slot) {
    problems.push_back(
        fmt::format("subscription {} has no replication slot (slot_name = NONE)", t.subscription));
    return std::nullopt;
  }
  if (!s.found) {
    problems.push_back(fmt::format("slot {} does not exist on source", *t.slot));
    return std::nullopt;
  }
  if (!s.lag_bytes) {
    problems.push_back(fmt::format("slot {} on source has not confirmed any position", *t.slot));
    return std::nullopt;
  }
  if (*s.lag_bytes > target.max_lag_bytes) {
    problems.push_back(
        fmt::format("lag {} bytes, at most {} allowed", *s.lag_bytes, target.max_lag_bytes));
  }
  return s.lag_bytes;
}

// The subscription and its apply worker, the slot, then each table's state.
std::string subscription_details(const TargetState& t, const SourceState& s) {
  std::string details = fmt::format("subscription {} on target: {}, slot {}", t.subscription,
                                    t.enabled ? "enabled" : "disabled", t.slot.value_or("NONE"));
  details +=
      t.worker ? fmt::format(", apply worker received up to {}", t.received_lsn.value_or("nothing"))
               : ", no apply worker running";
  if (t.slot && s.found) {
    details += fmt::format("\nslot {} on source: {}, confirmed up to {}, WAL at {} when checked",
                           *t.slot, s.active ? "active" : "inactive",
                           s.confirmed_lsn.value_or("nothing"), s.start_lsn);
  }
  for (const TableState& table : t.tables)
    details += fmt::format("\n{}  {}", table.name, explain(table.state));
  return details;
}

// One attempt: the subscription on the target (which names the slot), then the slot on the
// source.
class ReplicationAttempt : public SidesAttempt<ReplicationAttempt> {
 public:
  ReplicationAttempt(std::shared_ptr<const ReplicationTarget> target, CheckContext& context,
                     Completion done)
      : SidesAttempt(context, std::move(done)), target_(std::move(target)) {}

  void start() {
    if (!watch()) return;
    read<TargetState>(
        "target", target_->target,
        [wanted = target_->subscription, name = target_->target->name](postgres::Session& session) {
          return read_target(session, wanted, name);
        },
        [](ReplicationAttempt& self, TargetState state) {
          self.target_state_ = std::move(state);
          self.read_slot();
        });
  }

 private:
  void read_slot() {
    if (!target_state_.slot) return report();
    read<SourceState>(
        "source", target_->source,
        [slot = *target_state_.slot, max = target_->max_lag_bytes](postgres::Session& session) {
          return read_source(session, slot, max);
        },
        [](ReplicationAttempt& self, SourceState state) {
          self.source_state_ = std::move(state);
          self.report();
        });
  }

  void report() {
    const TargetState& t = target_state_;
    std::vector<std::string> problems;
    if (!t.enabled) problems.push_back(fmt::format("subscription {} is disabled", t.subscription));
    if (std::optional<std::string> not_ready = tables_not_ready(t.tables))
      problems.push_back(std::move(*not_ready));
    const std::optional<std::int64_t> lag_bytes = slot_lag(*target_, t, source_state_, problems);
    // How long ago the subscriber last reported its position to the source (latest_end_time):
    // everything older is applied.
    const std::optional<std::int64_t> lag_ms = lag_in_time(lag_bytes, t.since_report_ms);
    judge_lag_in_time(
        *target_, lag_ms,
        fmt::format("lag in time unknown: no apply worker reports for subscription {}",
                    t.subscription),
        problems);
    const std::size_t ready = count_ready(t.tables);
    CheckResult result =
        verdict(*target_, problems,
                fmt::format("subscription {} enabled, {} {} ready, lag {} bytes", t.subscription,
                            ready, ready == 1 ? "table" : "tables", lag_bytes.value_or(0)),
                lag_ms);
    result.details = subscription_details(t, source_state_);
    add_lag(result, lag_bytes, lag_ms);
    result.measurements.push_back({"tables_ready", static_cast<double>(ready), ""});
    finish(std::move(result));
  }

  std::shared_ptr<const ReplicationTarget> target_;
  TargetState target_state_;
  SourceState source_state_;
};

}  // namespace

KindSpec PostgresReplicationCheck::spec() {
  return {
      .description =
          "Replication from source to target has caught up. Logical (the default): the target's "
          "subscription is enabled, all its tables are ready (state r), and its slot on the "
          "source has confirmed the WAL written up to the check but max_lag_bytes. Physical: "
          "the target is a standby (pg_is_in_recovery()) that has replayed the source's WAL "
          "but max_lag_bytes. With retry: until:, waits for the target to catch up before a "
          "cutover.",
      .fields =
          {
              {.name = "source",
               .type = FieldType::database,
               .required = true,
               .description = "the publishing database, which holds the subscription's slot; "
                              "physical: the primary"},
              {.name = "target",
               .type = FieldType::database,
               .required = true,
               .description = "the subscribing database, which holds the subscription; "
                              "physical: the standby"},
              {.name = "mode",
               .type = FieldType::choice,
               .description = "logical (a subscription) or physical (a streaming standby)",
               .choices = {"logical", "physical"},
               .default_value = "logical"},
              {.name = "subscription",
               .description = "logical: the subscription's name on the target; by default the "
                              "only subscription of the target's database",
               .non_empty = true},
              {.name = "max_lag_bytes",
               .type = FieldType::integer,
               .description = "WAL written on the source up to the check that the slot may "
                              "leave unconfirmed (confirmed_flush_lsn); physical: that the "
                              "standby may not have replayed (pg_last_wal_replay_lsn)",
               .default_value = "0",
               .min = 0},
              {.name = "max_lag",
               .type = FieldType::duration,
               .description = "lag in time: 0 when no WAL is pending, else how long ago the "
                              "subscriber last reported its position (pg_stat_subscription "
                              "latest_end_time); physical: the age of the last transaction the "
                              "standby replayed (pg_last_xact_replay_timestamp)"},
          },
  };
}

PostgresReplicationCheck::PostgresReplicationCheck(Fields& fields) {
  auto target = std::make_shared<ReplicationTarget>();
  target->source = fields.database("source");
  target->target = fields.database("target");
  if (target->source == nullptr) fields.error("source", "source: expected the name of a database");
  if (target->target == nullptr) fields.error("target", "target: expected the name of a database");
  target->physical = fields.string("mode", "logical") == "physical";
  if (target->physical && fields.has("subscription")) {
    fields.error("subscription",
                 "subscription: only with mode logical; a physical standby has no subscription");
  }
  if (fields.has("subscription")) target->subscription = fields.string("subscription");
  target->max_lag_bytes = fields.integer("max_lag_bytes", 0);
  if (fields.has("max_lag")) target->max_lag = fields.duration("max_lag");
  target_ = std::move(target);
}

PostgresReplicationCheck::~PostgresReplicationCheck() = default;

void PostgresReplicationCheck::start(CheckContext& context, Completion done) {
  if (target_->physical) {
    std::make_shared<StandbyAttempt>(target_, context, std::move(done))->start();
    return;
  }
  std::make_shared<ReplicationAttempt>(target_, context, std::move(done))->start();
}

std::string PostgresReplicationCheck::describe() const {
  if (target_->physical) {
    std::string text = fmt::format(
        "standby {} of {}, lag at most {} bytes", target_->target ? target_->target->name : "?",
        target_->source ? target_->source->name : "?", target_->max_lag_bytes);
    if (target_->max_lag) text += " and " + format_duration(*target_->max_lag);
    return text;
  }
  std::string text = fmt::format(
      "{} from {} to {}, lag at most {} bytes",
      target_->subscription.empty() ? "the subscription" : "subscription " + target_->subscription,
      target_->source ? target_->source->name : "?", target_->target ? target_->target->name : "?",
      target_->max_lag_bytes);
  if (target_->max_lag) text += " and " + format_duration(*target_->max_lag);
  return text;
}

}  // namespace cutover
