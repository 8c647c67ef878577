#include "checks/postgres/pool.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <pqxx/except>
#include <pqxx/nontransaction>

#include "harness/redactor.hpp"
#include "harness/text.hpp"

namespace cutover::postgres {
namespace {

using Clock = std::chrono::steady_clock;

// Session settings of every validation connection, in one round trip after it opens.
// client_min_messages: libpq prints notices and warnings on stderr, in the middle of a report.
constexpr const char* kSessionSettings =
    "SET default_transaction_read_only = on; SET application_name = 'cutover'; "
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; "
    "SET extra_float_digits = 3; SET bytea_output = 'hex'; SET lock_timeout = '5s'; "
    "SET client_min_messages = error";

constexpr std::string_view kQueryCanceled = "57014";

// libpq waits at least 2 s for a connection (connect_timeout below 2 counts as 2).
constexpr int kMinConnectTimeoutSeconds = 2;

class PqConnection : public database::Connection {
 public:
  explicit PqConnection(const std::string& dsn) : connection(dsn) {}

  bool is_open() const override { return connection.is_open(); }

  void cancel_query() override {
    try {
      connection.cancel_query();
    } catch (const std::exception&) {
      // The query ends with its statement_timeout anyway.
    }
  }

  pqxx::connection connection;
};

class PqClient : public database::Client {
 public:
  std::unique_ptr<database::Connection> open(const Database& database,
                                             Duration budget) const override {
    return std::make_unique<PqConnection>(with_connect_timeout(database.dsn, budget));
  }

  void prepare(database::Connection& connection) const override {
    pqxx::nontransaction setup(static_cast<PqConnection&>(connection).connection);
    setup.exec(kSessionSettings);
    setup.commit();
  }

  std::string describe_error(const std::exception& error, const Database& database) const override {
    return postgres::describe_error(error, database);
  }

  database::JobFailure classify(const std::exception& error, const Database& database,
                                const database::Connection* connection) const override {
    using Kind = database::JobFailure::Kind;
    // libpqxx 6 words a connection lost mid-query after whatever call noticed it, and keeps
    // libpq's own text to itself.
    if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) return {Kind::lost};
    const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error);
    if (sql == nullptr) return {Kind::other, postgres::describe_error(error, database)};
    if (connection != nullptr && !connection->is_open()) return {Kind::lost};
    if (sql->sqlstate() == kQueryCanceled) return {Kind::query_cancelled};
    return {Kind::query_failed,
            postgres::describe_error(error, database) +
                (sql->sqlstate().empty() ? "" : " (SQLSTATE " + sql->sqlstate() + ")")};
  }

  std::string_view statement_timeout_name(const database::Connection*) const override {
    return "statement_timeout";
  }
};

}  // namespace

Session::Session(database::Job& job)
    : connection_(static_cast<PqConnection&>(job.connection).connection),
      database_(job.database),
      deadline_(job.deadline),
      connect_time_(job.connect_time) {}

std::int64_t Session::milliseconds_left() const {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
  return std::max<std::int64_t>(1, left);
}

void Session::set_statement_timeout() {
  pqxx::nontransaction set(connection_);
  set.exec(fmt::format("SET statement_timeout = {}", milliseconds_left()));
  set.commit();
}

const database::Client& client() {
  static const PqClient instance;
  return instance;
}

namespace {

bool looks_numeric(std::string_view text) {
  if (text.starts_with('-')) text.remove_prefix(1);
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  const auto digits = [](std::string_view part) {
    return !part.empty() && part.find_first_not_of("0123456789") == std::string_view::npos;
  };
  return digits(whole) && (dot == std::string_view::npos || digits(fraction));
}

}  // namespace

std::string display_value(const std::optional<std::string>& value) {
  if (!value) return "NULL";
  if (looks_numeric(*value)) return *value;
  return quote_literal(*value);
}

std::string quote_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string with_parameter(std::string_view dsn, std::string_view key, std::string_view value) {
  if (dsn.find("://") == std::string_view::npos) {
    return fmt::format("{}{}{}={}", dsn, dsn.empty() ? "" : " ", key, value);
  }
  const char separator = dsn.find('?') == std::string_view::npos ? '?' : '&';
  return fmt::format("{}{}{}={}", dsn, separator, key, value);
}

std::string with_connect_timeout(std::string_view dsn, Duration budget) {
  if (dsn.find("connect_timeout") != std::string_view::npos) return std::string(dsn);
  const auto seconds = std::max<std::int64_t>(
      kMinConnectTimeoutSeconds, std::chrono::ceil<std::chrono::seconds>(budget).count());
  return with_parameter(dsn, "connect_timeout", std::to_string(seconds));
}

std::string describe_error(const std::exception& error, const Database& database) {
  std::string text = one_line(error.what());
  // libpq and the server write "FATAL:  message" and "ERROR:  message"; a connection that failed
  // names the server first: "connection to server at ... failed: FATAL:  message".
  for (std::string_view severity : {"FATAL:", "ERROR:"}) {
    const std::size_t at = text.find(severity);
    if (at == std::string::npos) continue;
    std::size_t end = at + severity.size();
    while (end < text.size() && text[end] == ' ')
      ++end;
    text.erase(at, end - at);
  }
  std::string compact;
  for (char c : text) {
    if (c == ' ' && !compact.empty() && compact.back() == ' ') continue;
    compact += c;
  }
  Redactor redactor;
  for (std::string& password : dsn_passwords(database.dsn))
    redactor.add_secret(std::move(password));
  return redactor.redact(compact);
}

}  // namespace cutover::postgres
