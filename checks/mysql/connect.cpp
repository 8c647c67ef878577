#include "checks/mysql/connect.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checks/database/settings.hpp"
#include "checks/mysql/session.hpp"
#include "harness/duration.hpp"

namespace cutover {

namespace detail {

struct MysqlConnectTarget {
  std::shared_ptr<const Database> database;
  std::optional<unsigned long> min_version;  // as mysql_get_server_version: 80036, 101100
  std::string min_version_text;              // as written: "8.0.36", "10.11"
  std::vector<std::pair<std::string, std::string>> settings;  // name, expected text, in order
  bool require_tls = false;
  std::optional<int> min_tls_version;  // 12 for TLSv1.2
  std::string min_tls_version_text;
  std::vector<std::string> auth_plugins;  // allowed; empty: any
};

}  // namespace detail

namespace {

using detail::MysqlConnectTarget;

struct Findings {
  Duration connect_time{};
  bool mariadb = false;
  std::string version;
  unsigned long version_number = 0;
  std::string user;
  std::string tls_version;                           // "TLSv1.3"; empty when not encrypted
  std::vector<std::optional<std::string>> settings;  // parallel to the target's
  std::vector<std::string> auth_plugins;             // of the connecting account
  bool plain_rejected = false;                       // with require_tls
};

// "8.0.36" -> 80036, "10.11" -> 101100: major, minor and patch, two digits each but the first.
std::optional<unsigned long> parse_version(std::string_view text) {
  std::vector<unsigned long> parts;
  while (parts.size() < 3) {
    unsigned long part = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), part);
    if (error != std::errc() || end == text.data() || (!parts.empty() && part > 99)) break;
    parts.push_back(part);
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    if (text.empty()) {
      parts.resize(3, 0);
      return parts[0] * 10000 + parts[1] * 100 + parts[2];
    }
    if (text.front() != '.') break;
    text.remove_prefix(1);
  }
  return std::nullopt;
}

// "TLSv1.2" (or "1.2") -> 12.
std::optional<int> parse_tls_version(std::string_view text) {
  if (text.starts_with("TLSv")) text.remove_prefix(4);
  if (text == "1" || text == "1.0") return 10;
  if (text == "1.1") return 11;
  if (text == "1.2") return 12;
  if (text == "1.3") return 13;
  return std::nullopt;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// The authentication plugins in SHOW CREATE USER's statement, read without keeping the rest
// (it holds the password's hash):
//   MariaDB: IDENTIFIED VIA ed25519 USING '...' OR unix_socket; IDENTIFIED BY PASSWORD '*...'
//   MySQL:   IDENTIFIED WITH 'caching_sha2_password' AS '...'
std::vector<std::string> auth_plugins_of(std::string_view statement) {
  std::vector<std::string> plugins;
  const auto word_at = [&statement](std::size_t at) {
    while (at < statement.size() && (statement[at] == ' ' || statement[at] == '\'' ||
                                     statement[at] == '`' || statement[at] == '"'))
      ++at;
    std::size_t end = at;
    while (end < statement.size() &&
           (std::isalnum(static_cast<unsigned char>(statement[end])) || statement[end] == '_'))
      ++end;
    return std::string(statement.substr(at, end - at));
  };
  if (const std::size_t with = statement.find(" IDENTIFIED WITH ");
      with != std::string_view::npos) {
    plugins.push_back(word_at(with + 17));
  } else if (const std::size_t via = statement.find(" IDENTIFIED VIA ");
             via != std::string_view::npos) {
    // Plugins separated by " OR ", each perhaps with USING '...': a quoted part is skipped.
    std::size_t at = via + 16;
    while (true) {
      plugins.push_back(word_at(at));
      bool quoted = false;
      std::size_t next = std::string_view::npos;
      for (std::size_t i = at; i < statement.size(); ++i) {
        if (statement[i] == '\'') quoted = !quoted;
        if (!quoted && statement.substr(i, 4) == " OR ") {
          next = i + 4;
          break;
        }
      }
      if (next == std::string_view::npos) break;
      at = next;
    }
  } else {
    // IDENTIFIED BY PASSWORD '*...', or no password at all: the native hash.
    plugins.push_back("mysql_native_password");
  }
  return plugins;
}

Findings inspect(const MysqlConnectTarget& target, mysql::Session& session) {
  Findings findings;
  findings.connect_time = session.connect_time().value_or(Duration::zero());
  findings.mariadb = session.mariadb();
  findings.version = session.server_version();
  findings.version_number = session.server_version_number();
  findings.user = session.value("SELECT CURRENT_USER()").value_or("");
  if (!session.tls_cipher().empty()) {
    findings.tls_version =
        session.query("SHOW SESSION STATUS LIKE 'Ssl_version'").at(0).at(1).value_or("");
  }
  for (const auto& [name, expected] : target.settings) {
    const auto rows = session.query("SHOW GLOBAL VARIABLES LIKE " + session.quote_literal(name));
    // LIKE treats '_' as a wildcard: keep the row named exactly.
    std::optional<std::string> found;
    for (const auto& row : rows) {
      if (row.at(0) && equal_ignoring_case(*row.at(0), name)) found = row.at(1).value_or("");
    }
    findings.settings.push_back(found);
  }
  if (!target.auth_plugins.empty()) {
    const auto statement = session.value("SHOW CREATE USER CURRENT_USER()");
    findings.auth_plugins = auth_plugins_of(statement.value_or(""));
  }
  if (target.require_tls) {
    const Duration left = session.deadline() - std::chrono::steady_clock::now();
    findings.plain_rejected = !mysql::connects_without_tls(session.database(), left);
  }
  return findings;
}

CheckResult judge(const MysqlConnectTarget& target, const Findings& findings) {
  const std::string server = findings.mariadb ? "MariaDB" : "MySQL";
  // "10.11.19-MariaDB-0+deb12u1": the number is what people compare.
  const std::string version = findings.version.substr(0, findings.version.find('-'));
  std::string connected = fmt::format("connected to {} {} as {}", server, version, findings.user);
  if (!findings.tls_version.empty()) connected += " over " + findings.tls_version;
  std::vector<std::string> held;
  std::vector<std::string> problems;

  if (target.min_version) {
    if (findings.version_number >= *target.min_version) {
      held.push_back(fmt::format("version at least {}", target.min_version_text));
    } else {
      problems.push_back(
          fmt::format("expected {} {} or later, got {}", server, target.min_version_text, version));
    }
  }

  std::vector<std::string> settings_held;
  for (std::size_t i = 0; i < target.settings.size(); ++i) {
    const auto& [name, expected] = target.settings[i];
    const std::optional<std::string>& found = findings.settings[i];
    if (!found) {
      problems.push_back(
          fmt::format("{} is not a variable of this server, expected {}", name, expected));
    } else if (!equal_ignoring_case(*found, expected)) {
      problems.push_back(fmt::format("{} is {}, expected {}", name, *found, expected));
    } else {
      settings_held.push_back(fmt::format("{} is {}", name, *found));
    }
  }
  if (!settings_held.empty()) held.push_back(fmt::format("{}", fmt::join(settings_held, ", ")));

  if (target.require_tls) {
    if (findings.tls_version.empty()) {
      problems.push_back("the connection is not encrypted, expected TLS");
    }
    if (!findings.plain_rejected) {
      problems.push_back(
          "a connection with ssl-mode=DISABLED was accepted, expected it to be rejected");
    } else if (!findings.tls_version.empty()) {
      held.push_back("a connection with ssl-mode=DISABLED was rejected");
    }
  }
  if (target.min_tls_version) {
    const std::optional<int> found = parse_tls_version(findings.tls_version);
    if (!found) {
      problems.push_back(fmt::format("the connection is not encrypted, expected {} or later",
                                     target.min_tls_version_text));
    } else if (*found < *target.min_tls_version) {
      problems.push_back(fmt::format("TLS version is {}, expected {} or later",
                                     findings.tls_version, target.min_tls_version_text));
    } else {
      held.push_back(fmt::format("TLS at least {}", target.min_tls_version_text));
    }
  }
  if (!target.auth_plugins.empty()) {
    std::vector<std::string> refused;
    for (const std::string& plugin : findings.auth_plugins) {
      if (std::find(target.auth_plugins.begin(), target.auth_plugins.end(), plugin) ==
          target.auth_plugins.end()) {
        refused.push_back(plugin);
      }
    }
    if (refused.empty()) {
      held.push_back(fmt::format("authenticates with {}", fmt::join(findings.auth_plugins, ", ")));
    } else {
      problems.push_back(fmt::format("{} authenticates with {}, expected one of {}", findings.user,
                                     fmt::join(refused, ", "),
                                     fmt::join(target.auth_plugins, ", ")));
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
      {"server_version_num", static_cast<double>(findings.version_number), ""});
  return result;
}

}  // namespace

KindSpec MysqlConnectCheck::spec() {
  return {
      .description =
          "Opens a new connection to a MySQL/MariaDB database: it must be reachable and accept "
          "the credentials. Optionally checks the server version, global variables, TLS and the "
          "account's authentication plugin.",
      .fields =
          {
              {.name = "database",
               .type = FieldType::database,
               .required = true,
               .description = "A database the suite declares under `databases:`"},
              {.name = "min_version",
               .description = "The oldest server version accepted: \"8.0\", \"10.11.6\""},
              {.name = "settings",
               .type = FieldType::object,
               .description = "Variables and the text SHOW GLOBAL VARIABLES must give for each, "
                              "e.g. {require_secure_transport: \"ON\", read_only: \"OFF\"}; "
                              "compared ignoring case (true/false are written ON/OFF)"},
              {.name = "require_tls",
               .type = FieldType::boolean,
               .description = "The session must be encrypted, and a connection with "
                              "ssl-mode=DISABLED to the same DSN must be rejected",
               .default_value = "false"},
              {.name = "min_tls_version",
               .type = FieldType::choice,
               .description = "The oldest TLS version accepted for the session (Ssl_version)",
               .choices = {"TLSv1.2", "TLSv1.3"}},
              {.name = "auth_plugins",
               .type = FieldType::string_list,
               .description = "The authentication plugins the connecting account may use, e.g. "
                              "[caching_sha2_password, ed25519]; read from SHOW CREATE USER",
               .non_empty = true},
          },
  };
}

MysqlConnectCheck::MysqlConnectCheck(Fields& fields) {
  auto target = std::make_shared<MysqlConnectTarget>();
  target->database = fields.database("database");
  if (target->database == nullptr) fields.error("database", "expected the name of a database");
  if (fields.has("min_version")) {
    target->min_version_text = fields.string("min_version");
    target->min_version = parse_version(target->min_version_text);
    if (!target->min_version) {
      fields.error("min_version",
                   fmt::format("expected a MySQL/MariaDB version like 8.0 or 10.11.6, got \"{}\"",
                               target->min_version_text));
    }
  }
  if (fields.has("settings")) {
    target->settings = database::read_settings(fields, {"ON", "OFF", "SHOW GLOBAL VARIABLES"});
  }
  target->require_tls = fields.boolean("require_tls");
  if (fields.has("min_tls_version")) {
    target->min_tls_version_text = fields.string("min_tls_version");
    target->min_tls_version = parse_tls_version(target->min_tls_version_text);
  }
  target->auth_plugins = fields.strings("auth_plugins");
  target_ = std::move(target);
}

MysqlConnectCheck::~MysqlConnectCheck() = default;

void MysqlConnectCheck::start(CheckContext& context, Completion done) {
  mysql::run<Findings>(
      context, target_->database,
      [target = target_](mysql::Session& session) { return inspect(*target, session); },
      [target = target_, done = std::move(done)](Expected<Findings> findings) {
        if (!findings) return done(CheckResult::error(findings.error().message));
        done(judge(*target, findings.value()));
      },
      {.fresh_connection = true});
}

std::string MysqlConnectCheck::describe() const {
  std::string text =
      fmt::format("database '{}'", target_->database ? target_->database->name : std::string());
  if (target_->min_version) text += fmt::format(", version at least {}", target_->min_version_text);
  for (const auto& [name, expected] : target_->settings)
    text += fmt::format(", {} = {}", name, expected);
  if (target_->require_tls) text += ", TLS required";
  if (target_->min_tls_version)
    text += fmt::format(", TLS at least {}", target_->min_tls_version_text);
  if (!target_->auth_plugins.empty()) {
    text += fmt::format(", authenticates with {}", fmt::join(target_->auth_plugins, " or "));
  }
  return text;
}

}  // namespace cutover
