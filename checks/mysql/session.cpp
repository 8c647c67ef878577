#include "checks/mysql/session.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include <errmsg.h>
#include <fmt/format.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "harness/mysql_dsn.hpp"
#include "harness/redactor.hpp"
#include "harness/text.hpp"

namespace cutover::mysql {
namespace {

using Clock = std::chrono::steady_clock;

// MySQL's error for a statement past max_execution_time (5.7.8 and later); MariaDB's
// ER_STATEMENT_TIMEOUT is 1969.
constexpr unsigned kMysqlQueryTimeout = 3024;

// Settings of every validation connection, after it opens.
constexpr std::string_view kSessionSettings[] = {
    "SET SESSION TRANSACTION READ ONLY",
    "SET time_zone = '+00:00'",
    "SET NAMES utf8mb4",
};

// The connector's global state, once per process, before any thread makes a connection.
void initialise_library() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

bool is_lost(unsigned code) {
  return code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST || code == CR_CONNECTION_ERROR ||
         code == CR_CONN_HOST_ERROR;
}

struct Handle {
  explicit Handle(MYSQL* handle) : mysql(handle) {}
  ~Handle() { mysql_close(mysql); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  MYSQL* mysql;
};

[[noreturn]] void throw_failure(MYSQL* mysql) {
  throw Failure(mysql_errno(mysql), mysql_sqlstate(mysql), mysql_error(mysql));
}

void set_option(MYSQL* mysql, mysql_option option, const void* value) {
  if (mysql_optionsv(mysql, option, value) != 0) throw_failure(mysql);
}

void set_tls_options(MYSQL* mysql, const MysqlDsn& dsn) {
  const my_bool on = 1;
  const my_bool off = 0;
  if (dsn.ssl_mode == SslMode::disabled) return set_option(mysql, MYSQL_OPT_SSL_ENFORCE, &off);
  set_option(mysql, MYSQL_OPT_SSL_ENFORCE, &on);
  if (!dsn.ssl_ca.empty()) set_option(mysql, MYSQL_OPT_SSL_CA, dsn.ssl_ca.c_str());
  if (!dsn.ssl_cert.empty()) set_option(mysql, MYSQL_OPT_SSL_CERT, dsn.ssl_cert.c_str());
  if (!dsn.ssl_key.empty()) set_option(mysql, MYSQL_OPT_SSL_KEY, dsn.ssl_key.c_str());
  // Connector/C verifies the chain and the host name together: VERIFY_CA checks the name too.
  const bool verify =
      dsn.ssl_mode == SslMode::verify_ca || dsn.ssl_mode == SslMode::verify_identity;
  set_option(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, verify ? &on : &off);
}

// Opens a connection as `dsn` says, giving up after `budget` (at least 1s).
std::unique_ptr<Handle> connect(const MysqlDsn& dsn, Duration budget) {
  initialise_library();
  auto handle = std::make_unique<Handle>(mysql_init(nullptr));
  if (handle->mysql == nullptr) throw std::bad_alloc();
  MYSQL* mysql = handle->mysql;
  const unsigned timeout = static_cast<unsigned>(
      std::max<std::int64_t>(1, std::chrono::ceil<std::chrono::seconds>(budget).count()));
  set_option(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  set_option(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // "localhost" would mean the default Unix socket, whatever the port: another server.
  const unsigned tcp = MYSQL_PROTOCOL_TCP;
  set_option(mysql, MYSQL_OPT_PROTOCOL, &tcp);
  const unsigned no_local_files = 0;
  set_option(mysql, MYSQL_OPT_LOCAL_INFILE, &no_local_files);
  set_tls_options(mysql, dsn);
  if (mysql_real_connect(mysql, dsn.host.c_str(), dsn.user.empty() ? nullptr : dsn.user.c_str(),
                         dsn.password.c_str(),
                         dsn.database.empty() ? nullptr : dsn.database.c_str(), dsn.port, nullptr,
                         0) == nullptr) {
    throw_failure(mysql);
  }
  if (dsn.ssl_mode != SslMode::disabled && dsn.ssl_mode != SslMode::preferred &&
      mysql_get_ssl_cipher(mysql) == nullptr) {
    throw Failure(CR_SSL_CONNECTION_ERROR, "HY000",
                  fmt::format("the server does not offer TLS, and ssl-mode={} requires it",
                              ssl_mode_name(dsn.ssl_mode)));
  }
  return handle;
}

MysqlDsn parsed(const Database& database) {
  auto dsn = parse_mysql_dsn(database.dsn);
  if (!dsn) throw std::runtime_error(dsn.error().message);
  return std::move(dsn.value());
}

}  // namespace

// A pooled connection: its handle, and what a cancel needs to open a second one.
class Connection : public database::Connection {
 public:
  Connection(MysqlDsn dsn, Duration budget)
      : dsn_(std::move(dsn)), handle_(connect(dsn_, budget)) {}

  MYSQL* mysql() const { return handle_->mysql; }
  bool mariadb() const { return mariadb_connection(handle_->mysql) != 0; }

  bool is_open() const override { return !lost_ && !closed_; }
  // The connection broke (as against closed on purpose, see close()).
  bool lost() const { return lost_; }

  // KILL QUERY from a connection of its own: the connector has no cancel request.
  void cancel_query() override {
    try {
      auto killer = connect(dsn_, std::chrono::seconds(5));
      const std::string kill = fmt::format("KILL QUERY {}", mysql_thread_id(handle_->mysql));
      mysql_real_query(killer->mysql, kill.data(), kill.size());
    } catch (const std::exception&) {
      // The query still ends at its statement limit.
    }
  }

  // Throws the connector's error, noting a connection that broke.
  [[noreturn]] void fail() {
    if (is_lost(mysql_errno(handle_->mysql))) lost_ = true;
    throw_failure(handle_->mysql);
  }

  void run(std::string_view sql) {
    if (mysql_real_query(handle_->mysql, sql.data(), sql.size()) != 0) fail();
  }

  // The pool drops it after the job; the handle closes with it.
  void close() { closed_ = true; }

 private:
  MysqlDsn dsn_;
  std::unique_ptr<Handle> handle_;
  bool lost_ = false;
  bool closed_ = false;  // to be dropped after the job
};

namespace {

class MysqlClient : public database::Client {
 public:
  std::unique_ptr<database::Connection> open(const Database& database,
                                             Duration budget) const override {
    return std::make_unique<Connection>(parsed(database), budget);
  }

  void prepare(database::Connection& connection) const override {
    auto& mysql = static_cast<Connection&>(connection);
    for (std::string_view setting : kSessionSettings)
      mysql.run(setting);
  }

  std::string describe_error(const std::exception& error, const Database& database) const override {
    return mysql::describe_error(error, database);
  }

  database::JobFailure classify(const std::exception& error, const Database& database,
                                const database::Connection* connection) const override {
    using Kind = database::JobFailure::Kind;
    const auto* failure = dynamic_cast<const Failure*>(&error);
    if (failure == nullptr) return {Kind::other, mysql::describe_error(error, database)};
    if (is_lost(failure->code) ||
        (connection != nullptr && static_cast<const Connection*>(connection)->lost())) {
      return {Kind::lost};
    }
    if (failure->code == ER_QUERY_INTERRUPTED || failure->code == ER_STATEMENT_TIMEOUT ||
        failure->code == kMysqlQueryTimeout) {
      return {Kind::query_cancelled};
    }
    return {Kind::query_failed, mysql::describe_error(error, database)};
  }

  std::string_view statement_timeout_name(const database::Connection* connection) const override {
    if (connection != nullptr && !static_cast<const Connection*>(connection)->mariadb()) {
      return "max_execution_time";
    }
    return "max_statement_time";
  }
};

// Frees a result however the reading ends.
struct Result {
  explicit Result(MYSQL_RES* result) : result(result) {}
  ~Result() {
    if (result != nullptr) mysql_free_result(result);
  }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  MYSQL_RES* result;
};

Row read_row(MYSQL_RES* result, MYSQL_ROW row) {
  const unsigned columns = mysql_num_fields(result);
  const unsigned long* lengths = mysql_fetch_lengths(result);
  Row out;
  out.reserve(columns);
  for (unsigned i = 0; i < columns; ++i) {
    if (row[i] == nullptr) {
      out.emplace_back(std::nullopt);
    } else {
      out.emplace_back(std::string(row[i], lengths[i]));
    }
  }
  return out;
}

}  // namespace

Session::Session(database::Job& job)
    : connection_(static_cast<Connection&>(job.connection)),
      database_(job.database),
      deadline_(job.deadline),
      connect_time_(job.connect_time) {}

bool Session::mariadb() const {
  return connection_.mariadb();
}

std::string Session::server_version() const {
  return mysql_get_server_info(connection_.mysql());
}

unsigned long Session::server_version_number() const {
  return mysql_get_server_version(connection_.mysql());
}

std::string Session::tls_cipher() const {
  const char* cipher = mysql_get_ssl_cipher(connection_.mysql());
  return cipher == nullptr ? std::string() : std::string(cipher);
}

void Session::set_statement_timeout() {
  const auto left = std::max<std::int64_t>(
      1, std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now()).count());
  if (mariadb()) {
    execute(fmt::format("SET SESSION max_statement_time = {}.{:03}", left / 1000, left % 1000));
  } else {
    execute(fmt::format("SET SESSION max_execution_time = {}", left));
  }
}

void Session::execute(std::string_view sql) {
  connection_.run(sql);
  // A statement that returns rows anyway (SHOW ...): read and drop them.
  Result result(mysql_store_result(connection_.mysql()));
  if (result.result == nullptr && mysql_field_count(connection_.mysql()) != 0) connection_.fail();
}

std::vector<Row> Session::query(std::string_view sql) {
  std::vector<Row> rows;
  for_each_row(sql, [&rows](const Row& row) { rows.push_back(row); });
  return rows;
}

std::optional<std::string> Session::value(std::string_view sql) {
  const std::vector<Row> rows = query(sql);
  if (rows.empty() || rows.front().empty()) return std::nullopt;
  return rows.front().front();
}

void Session::for_each_row(std::string_view sql, const std::function<void(const Row&)>& visit) {
  connection_.run(sql);
  MYSQL* mysql = connection_.mysql();
  Result result(mysql_use_result(mysql));
  if (result.result == nullptr) {
    if (mysql_field_count(mysql) != 0) connection_.fail();
    return;
  }
  while (MYSQL_ROW row = mysql_fetch_row(result.result)) {
    visit(read_row(result.result, row));
  }
  // A stream that ended early (the connection broke, the query was killed) ends in an error.
  if (mysql_errno(mysql) != 0) connection_.fail();
}

NamedRows Session::query_named(std::string_view sql) {
  connection_.run(sql);
  MYSQL* mysql = connection_.mysql();
  Result result(mysql_store_result(mysql));
  NamedRows out;
  if (result.result == nullptr) {
    if (mysql_field_count(mysql) != 0) connection_.fail();
    return out;
  }
  const unsigned count = mysql_num_fields(result.result);
  const MYSQL_FIELD* fields = mysql_fetch_fields(result.result);
  for (unsigned i = 0; i < count; ++i)
    out.columns.emplace_back(fields[i].name, fields[i].name_length);
  while (MYSQL_ROW row = mysql_fetch_row(result.result))
    out.rows.push_back(read_row(result.result, row));
  return out;
}

StatementResult Session::run_statement(std::string_view sql) {
  connection_.run(sql);
  MYSQL* mysql = connection_.mysql();
  StatementResult out;
  {
    Result result(mysql_use_result(mysql));
    if (result.result == nullptr) {
      if (mysql_field_count(mysql) != 0) connection_.fail();
      out.rows = mysql_affected_rows(mysql);
      // "Rows matched: 2  Changed: 1  Warnings: 0" after an UPDATE.
      const char* info = mysql_info(mysql);
      constexpr std::string_view kMatched = "Rows matched: ";
      if (info != nullptr && std::string_view(info).starts_with(kMatched)) {
        out.rows = std::strtoull(info + kMatched.size(), nullptr, 10);
      }
    } else {
      out.returns_rows = true;
      while (MYSQL_ROW row = mysql_fetch_row(result.result)) {
        if (out.rows++ == 0) out.first_row = read_row(result.result, row);
      }
      if (mysql_errno(mysql) != 0) connection_.fail();
    }
  }
  // A CALL ends with a status result of its own, and may return several result sets.
  while (true) {
    const int next = mysql_next_result(mysql);
    if (next > 0) connection_.fail();
    if (next < 0) break;
    Result more(mysql_store_result(mysql));
  }
  return out;
}

unsigned Session::last_columns() const {
  return mysql_field_count(connection_.mysql());
}

bool Session::in_transaction() const {
  unsigned int status = 0;
  mariadb_get_infov(connection_.mysql(), MARIADB_CONNECTION_SERVER_STATUS, &status);
  return (status & SERVER_STATUS_IN_TRANS) != 0;
}

void Session::close() {
  connection_.close();
}

void Session::roll_back() noexcept {
  try {
    execute("ROLLBACK");
  } catch (const std::exception&) {
    // A broken connection is dropped by the pool; a live one rolls back at its next START.
  }
}

std::string Session::quote_literal(std::string_view text) const {
  std::string escaped(text.size() * 2 + 1, '\0');
  const unsigned long length =
      mysql_real_escape_string(connection_.mysql(), escaped.data(), text.data(), text.size());
  escaped.resize(length);
  return "'" + escaped + "'";
}

const database::Client& client() {
  static const MysqlClient instance;
  return instance;
}

bool connects_without_tls(const Database& database, Duration budget) {
  MysqlDsn dsn = parsed(database);
  dsn.ssl_mode = SslMode::disabled;
  try {
    connect(dsn, budget);
    return true;
  } catch (const Failure& failure) {
    // Refused for being plain: the account requires TLS (access denied), or the server does
    // (MySQL's ER_SECURE_TRANSPORT_REQUIRED; MariaDB refuses as access denied). Anything else
    // (too many connections, a timeout, a lost network) says nothing of TLS.
    constexpr unsigned kSecureTransportRequired = 3159;
    if (failure.code == ER_ACCESS_DENIED_ERROR || failure.code == kSecureTransportRequired) {
      return false;
    }
    throw database::JobError(
        fmt::format("could not tell whether a connection with ssl-mode=DISABLED is rejected: {}",
                    describe_error(failure, database)));
  }
}

std::string quote_identifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

std::string describe_error(const std::exception& error, const Database& database) {
  std::string text = one_line(error.what());
  // The server's errors: 1000-1999, and 3000 and up (MySQL 3000s, MariaDB 4000s); the
  // connector's are CR_MIN_ERROR..CR_MAX_ERROR and 5000 and up.
  if (const auto* failure = dynamic_cast<const Failure*>(&error);
      failure != nullptr &&
      (failure->code < CR_MIN_ERROR || (failure->code > CR_MAX_ERROR && failure->code < 5000))) {
    text += fmt::format(" (error {})", failure->code);
  }
  Redactor redactor;
  for (std::string& password : dsn_passwords(database.dsn))
    redactor.add_secret(std::move(password));
  return redactor.redact(text);
}

}  // namespace cutover::mysql
