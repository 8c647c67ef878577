#include "checks/postgres/connect.hpp"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/transaction>

#include "checks/database/settings.hpp"
#include "checks/postgres/pool.hpp"
#include "harness/duration.hpp"

namespace cutover {

namespace detail {

struct ConnectTarget {
  std::shared_ptr<const Database> database;
  std::optional<int> min_version;  // as server_version_num: 140000, 150004, 90603
  std::string min_version_text;    // as written: "14", "15.4"
  std::vector<std::pair<std::string, std::string>> settings;  // name, expected text, in order
  bool require_tls = false;
};

}  // namespace detail

namespace {

using detail::ConnectTarget;

// What one fresh connection found, read on the worker thread.
struct Findings {
  Duration connect_time{};
  int version_num = 0;
  std::string user;
  bool tls = false;
  std::vector<std::optional<std::string>> settings;  // parallel to ConnectTarget::settings
  bool plain_rejected = false;                       // with require_tls
};

// "15.18" from 150018; "9.6.24" from 90624 (before 10, the second number was part of the major
// version).
std::string version_text(int version_num) {
  if (version_num >= 100000) return fmt::format("{}.{}", version_num / 10000, version_num % 10000);
  return fmt::format("{}.{}.{}", version_num / 10000, version_num / 100 % 100, version_num % 100);
}

// "14" -> 140000, "15.4" -> 150004, "9.6" -> 90600, "9.6.3" -> 90603.
std::optional<int> parse_version(std::string_view text) {
  std::vector<int> parts;
  while (true) {
    int part = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), part);
    if (error != std::errc() || end == text.data() || part < 0 || part > 9999) return std::nullopt;
    parts.push_back(part);
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    if (text.empty()) break;
    if (text.front() != '.') return std::nullopt;
    text.remove_prefix(1);
  }
  if (parts[0] >= 10) {
    if (parts.size() > 2) return std::nullopt;
    return parts[0] * 10000 + (parts.size() > 1 ? parts[1] : 0);
  }
  if (parts.size() > 3 || parts[0] == 0) return std::nullopt;
  const int minor = parts.size() > 1 ? parts[1] : 0;
  const int patch = parts.size() > 2 ? parts[2] : 0;
  if (minor > 99 || patch > 99) return std::nullopt;
  return parts[0] * 10000 + minor * 100 + patch;
}

Findings inspect(const ConnectTarget& target, postgres::Session& session) {
  Findings findings;
  findings.connect_time = session.connect_time().value_or(Duration::zero());
  {
    pqxx::read_transaction transaction(session.connection());
    const pqxx::row row = transaction.exec1(
        "SELECT current_setting('server_version_num')::int, current_user, "
        "coalesce((SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_backend_pid()), false)");
    findings.version_num = row[0].as<int>();
    findings.user = row[1].as<std::string>();
    findings.tls = row[2].as<bool>();
    for (const auto& [name, expected] : target.settings) {
      // missing_ok: an unknown name reads as NULL instead of failing the transaction.
      const pqxx::field value =
          transaction.exec_params1("SELECT current_setting($1, true)", name)[0];
      findings.settings.push_back(value.is_null() ? std::nullopt
                                                  : std::optional(value.as<std::string>()));
    }
  }
  if (target.require_tls) {
    const Duration left = session.deadline() - std::chrono::steady_clock::now();
    try {
      pqxx::connection plain(postgres::with_parameter(
          postgres::with_connect_timeout(target.database->dsn, left), "sslmode", "disable"));
    } catch (const pqxx::broken_connection&) {
      // Whatever the reason given, the server did not take it: that is what is asked.
      findings.plain_rejected = true;
    }
  }
  return findings;
}

CheckResult judge(const ConnectTarget& target, const Findings& findings) {
  const std::string version = version_text(findings.version_num);
  const std::string connected =
      fmt::format("connected to PostgreSQL {} as {}", version, findings.user);
  std::vector<std::string> held;
  std::vector<std::string> problems;

  if (target.min_version) {
    if (findings.version_num >= *target.min_version) {
      held.push_back(fmt::format("version at least {}", target.min_version_text));
    } else {
      problems.push_back(
          fmt::format("expected PostgreSQL {} or later, got {}", target.min_version_text, version));
    }
  }

  std::vector<std::string> settings_held;
  for (std::size_t i = 0; i < target.settings.size(); ++i) {
    const auto& [name, expected] = target.settings[i];
    const std::optional<std::string>& found = findings.settings[i];
    if (!found) {
      problems.push_back(
          fmt::format("{} is not a setting of this server, expected {}", name, expected));
    } else if (*found != expected) {
      problems.push_back(fmt::format("{} is {}, expected {}", name, *found, expected));
    } else {
      settings_held.push_back(fmt::format("{} is {}", name, expected));
    }
  }
  if (!settings_held.empty()) held.push_back(fmt::format("{}", fmt::join(settings_held, ", ")));

  if (target.require_tls) {
    if (!findings.tls) problems.push_back("the connection is not encrypted, expected TLS");
    if (!findings.plain_rejected) {
      problems.push_back(
          "a connection with sslmode=disable was accepted, expected it to be rejected");
    }
    if (findings.tls && findings.plain_rejected) {
      held.push_back("over TLS, a connection with sslmode=disable was rejected");
    }
  }

  CheckResult result;
  if (problems.empty()) {
    result = CheckResult::passed(
        held.empty() ? connected : fmt::format("{}; {}", connected, fmt::join(held, "; ")));
  } else {
    result = CheckResult::failed(fmt::format("{} ({})", fmt::join(problems, "; "), connected));
  }
  result.measurements.push_back({"connect_ms", to_milliseconds(findings.connect_time), "ms"});
  result.measurements.push_back(
      {"server_version_num", static_cast<double>(findings.version_num), ""});
  return result;
}

}  // namespace

KindSpec PostgresConnectCheck::spec() {
  return {
      .description =
          "Opens a new connection to a database: it must be reachable and accept the "
          "credentials. Optionally checks the server version, settings, and that connections "
          "without TLS are rejected.",
      .fields =
          {
              {.name = "database",
               .type = FieldType::database,
               .required = true,
               .description = "A database the suite declares under `databases:`"},
              {.name = "min_version",
               .description = "The oldest server version accepted: \"14\", \"15.4\""},
              {.name = "settings",
               .type = FieldType::object,
               .description = "Settings and the text SHOW must give for each, e.g. "
                              "{ssl: \"on\", password_encryption: scram-sha-256}; compared "
                              "exactly (true/false are written on/off)"},
              {.name = "require_tls",
               .type = FieldType::boolean,
               .description = "The session must be encrypted, and a connection with "
                              "sslmode=disable to the same DSN must be rejected",
               .default_value = "false"},
          },
  };
}

PostgresConnectCheck::PostgresConnectCheck(Fields& fields) {
  auto target = std::make_shared<ConnectTarget>();
  target->database = fields.database("database");
  if (target->database == nullptr) fields.error("database", "expected the name of a database");

  if (fields.has("min_version")) {
    target->min_version_text = fields.string("min_version");
    target->min_version = parse_version(target->min_version_text);
    if (!target->min_version) {
      fields.error("min_version",
                   fmt::format("expected a PostgreSQL version like 14 or 15.4, got \"{}\"",
                               target->min_version_text));
    }
  }

  if (fields.has("settings"))
    target->settings = database::read_settings(fields, {"on", "off", "SHOW"});

  target->require_tls = fields.boolean("require_tls");
  target_ = std::move(target);
}

PostgresConnectCheck::~PostgresConnectCheck() = default;

void PostgresConnectCheck::start(CheckContext& context, Completion done) {
  postgres::run<Findings>(
      context, target_->database,
      [target = target_](postgres::Session& session) { return inspect(*target, session); },
      [target = target_, done = std::move(done)](Expected<Findings> findings) {
        if (!findings) return done(CheckResult::error(findings.error().message));
        done(judge(*target, findings.value()));
      },
      {.fresh_connection = true});
}

std::string PostgresConnectCheck::describe() const {
  std::string text =
      fmt::format("database '{}'", target_->database ? target_->database->name : std::string());
  if (target_->min_version) text += fmt::format(", version at least {}", target_->min_version_text);
  for (const auto& [name, expected] : target_->settings)
    text += fmt::format(", {} = {}", name, expected);
  if (target_->require_tls) text += ", TLS required";
  return text;
}

}  // namespace cutover
