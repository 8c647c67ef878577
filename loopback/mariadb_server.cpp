#include "loopback/mariadb_server.hpp"

#include <pwd.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "loopback/certificates.hpp"
#include "loopback/process.hpp"
#include "loopback/server_launch.hpp"

namespace cutover::loopback {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kServerProgram = "/usr/sbin/mariadbd";
constexpr const char* kInstallProgram = "/usr/bin/mariadb-install-db";
constexpr const char* kClientProgram = "/usr/bin/mariadb";
constexpr const char* kServerUser = "mysql";
// The account a replica reads the binary log as, made on every server (so a replica can have
// replicas), over TCP from 127.0.0.1 only.
constexpr std::string_view kReplicationUser = "fixture_repl";
constexpr std::string_view kReplicationPassword = "fixture-repl-4k8w";
constexpr std::chrono::seconds kStartBudget{60};
constexpr std::chrono::seconds kStopBudget{60};
constexpr std::chrono::seconds kReplicaBudget{30};
constexpr std::chrono::seconds kCommandBackstop{90};
constexpr int kPortAttempts = 3;
constexpr std::size_t kLogTailLines = 40;

// server_id must differ between a source and its replicas; one counter for the whole program.
std::atomic<int> next_server_id{1};

// The account with unix_socket authentication that mariadb-install-db makes: root when the
// tests run as root, else the user running them (--auth-root-socket-user).
std::string socket_account() {
  if (running_as_root()) return "root";
  const passwd* user = ::getpwuid(::geteuid());
  if (user == nullptr) throw std::runtime_error("MariadbServer: the current user has no name");
  return user->pw_name;
}

fs::path socket_file(const fs::path& run) {
  return run / "mariadbd.sock";
}

fs::path error_log(const fs::path& run) {
  return run / "error.log";
}

// The server's own temp folder, for it and mariadb-install-db's bootstrap: in the shared /tmp,
// with test programs running side by side, a bootstrap's temporary table once vanished under it
// ("Error on delete of '/tmp/#sql-temptable-2294-1-28.MAI'"), failing the install.
fs::path temp_folder(const fs::path& run) {
  return run / "tmp";
}

// RFC 3986: everything but the unreserved characters as %XX.
std::string percent_encode(std::string_view text) {
  std::string encoded;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      encoded += c;
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", byte);
      encoded += hex;
    }
  }
  return encoded;
}

std::string quote_identifier(std::string_view name) {
  std::string quoted = "`";
  for (const char c : name) {
    if (c == '`') quoted += '`';
    quoted += c;
  }
  return quoted + "`";
}

// A string literal under the default sql_mode, where a backslash escapes.
std::string quote_string(std::string_view text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'' || c == '\\') quoted += c;
    quoted += c;
  }
  return quoted + "'";
}

// Statements for the client, one a line.
std::string script(std::initializer_list<std::string> statements) {
  std::string text;
  for (const std::string& statement : statements)
    text += statement + ";\n";
  return text;
}

struct Field {
  std::string name;
  std::optional<std::string> value;  // nullopt: NULL
};
using NamedRow = std::vector<Field>;

std::string xml_unescape(std::string_view text) {
  static const std::pair<std::string_view, char> kEntities[] = {
      {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string plain;
  for (std::size_t at = 0; at < text.size(); ++at) {
    bool replaced = false;
    for (const auto& [entity, character] : kEntities) {
      if (text.substr(at, entity.size()) == entity) {
        plain += character;
        at += entity.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) plain += text[at];
  }
  return plain;
}

// `mariadb --xml` output, read by hand: tinyxml2 would turn a CR in a value into LF, drop a
// value of blanks only, and refuse the XML declaration the client repeats before each result
// set, while query() promises values as the client printed them. The client writes each field
// as <field name="N">VALUE</field>, or <field name="N" xsi:nil="true" /> for NULL, and escapes
// < > & " in names, values and the echoed statement, so "<row>" and "<field" are only markup.
std::vector<NamedRow> parse_xml_rows(std::string_view xml) {
  constexpr std::string_view kRowOpen = "<row>";
  constexpr std::string_view kRowClose = "</row>";
  constexpr std::string_view kFieldOpen = "<field name=\"";
  constexpr std::string_view kNil = " xsi:nil=\"true\" />";
  constexpr std::string_view kFieldClose = "</field>";
  const std::runtime_error malformed("MariadbServer: unexpected `mariadb --xml` output: " +
                                     last_lines(std::string(xml), 5));
  std::vector<NamedRow> rows;
  for (std::size_t at = xml.find(kRowOpen); at != std::string_view::npos;
       at = xml.find(kRowOpen, at)) {
    const std::size_t row_end = xml.find(kRowClose, at);
    if (row_end == std::string_view::npos) throw malformed;
    NamedRow row;
    for (std::size_t field = xml.find(kFieldOpen, at); field < row_end;
         field = xml.find(kFieldOpen, field)) {
      const std::size_t name_start = field + kFieldOpen.size();
      const std::size_t name_end = xml.find('"', name_start);
      if (name_end >= row_end) throw malformed;
      Field parsed{xml_unescape(xml.substr(name_start, name_end - name_start)), std::nullopt};
      field = name_end + 1;
      if (xml.substr(field, kNil.size()) == kNil) {
        field += kNil.size();
      } else if (xml[field] == '>') {
        const std::size_t value_end = xml.find(kFieldClose, field);
        if (value_end >= row_end) throw malformed;
        parsed.value = xml_unescape(xml.substr(field + 1, value_end - field - 1));
        field = value_end + kFieldClose.size();
      } else {
        throw malformed;
      }
      row.push_back(std::move(parsed));
    }
    rows.push_back(std::move(row));
    at = row_end + kRowClose.size();
  }
  return rows;
}

// The client's "ERROR 1146 (42S02) at line 1: ..." lines, without the statement it echoes
// around them (which may hold a password).
std::string client_error(const ProcessResult& result) {
  std::string errors;
  std::size_t start = 0;
  while (start < result.err.size()) {
    std::size_t end = result.err.find('\n', start);
    if (end == std::string::npos) end = result.err.size();
    const std::string_view line = std::string_view(result.err).substr(start, end - start);
    if (line.substr(0, 6) == "ERROR ") {
      if (!errors.empty()) errors += '\n';
      errors += line;
    }
    start = end + 1;
  }
  if (!errors.empty()) return errors;
  return "the mariadb client failed with status " + std::to_string(result.exit_code) + ": " +
         last_lines(result.err, 5);
}

// The `mariadb` client over the server's socket, reading the SQL from a file on stdin: batch
// mode stops at the first error with status 1 (`source` would carry on and exit 0), and the
// statements' size is not bound by the argument list's. The shell only redirects: the file's
// path comes in the environment, the client's arguments as "$@", so nothing is quoted.
ProcessResult run_client(const fs::path& run, const std::string& account, std::string_view sql,
                         std::string_view database, bool xml) {
  const TempDir scratch;  // one per call: calls may come from several threads
  const fs::path statements = scratch.write("statements.sql", sql);
  std::vector<std::string> arguments{"/bin/sh",
                                     "-c",
                                     "exec \"$@\" < \"$CUTOVER_SQL_FILE\"",
                                     "sh",
                                     kClientProgram,
                                     "--no-defaults",
                                     "--socket=" + socket_file(run).string(),
                                     "--user=" + account,
                                     "--default-character-set=utf8mb4",
                                     "--batch",
                                     xml ? "--xml" : "--skip-column-names"};
  if (!database.empty()) arguments.push_back("--database=" + std::string(database));
  Process client(arguments, {{"CUTOVER_SQL_FILE", statements.string()}});
  return client.wait(kCommandBackstop);
}

// "" once the error log, past `log_before`, says the server listens; else why it does not.
std::string wait_until_ready(const fs::path& log, std::size_t log_before) {
  const auto deadline = std::chrono::steady_clock::now() + kStartBudget;
  while (true) {
    const std::string text = read_file(log);
    const std::string_view this_start =
        std::string_view(text).substr(std::min(log_before, text.size()));
    if (this_start.find("ready for connections") != std::string_view::npos) return "";
    if (this_start.find("[ERROR] Aborting") != std::string_view::npos) return "exited";
    if (std::chrono::steady_clock::now() >= deadline) {
      return "was not ready for connections after " + std::to_string(kStartBudget.count()) + " s";
    }
    std::this_thread::sleep_for(20ms);
  }
}

// The rows of a query with their columns' names, through the client's XML output.
std::vector<NamedRow> named_query(const fs::path& run, const std::string& account,
                                  std::string_view sql, std::string_view database) {
  const ProcessResult result = run_client(run, account, sql, database, true);
  if (result.exit_code != 0) {
    throw std::runtime_error("MariadbServer: " + client_error(result));
  }
  return parse_xml_rows(result.out);
}

std::string value_of(const NamedRow& row, std::string_view name) {
  for (const Field& field : row) {
    if (field.name == name) return field.value.value_or("NULL");
  }
  return "";
}

}  // namespace

MariadbServer::MariadbServer() : MariadbServer(std::nullopt) {}

MariadbServer::MariadbServer(std::optional<ReplicaOf> replica) {
  if (!mariadb_installed()) {
    throw std::runtime_error(std::string("MariadbServer: no MariaDB server (") + kServerProgram +
                             ", " + kInstallProgram + ", " + kClientProgram +
                             "); scripts/setup.sh installs it");
  }
  server_id_ = next_server_id++;
  read_only_ = replica.has_value();
  admin_user_ = socket_account();
  data_ = dir_.path() / "data";
  run_ = dir_.path() / "run";
  // Created by root: the server user must be able to reach the subfolders and certificates.
  fs::permissions(dir_.path(), fs::perms(0755));
  fs::create_directory(data_);
  fs::create_directory(run_);
  fs::create_directory(temp_folder(run_));
  fs::permissions(data_, fs::perms(0700));
  fs::permissions(run_, fs::perms(0755));
  fs::permissions(temp_folder(run_), fs::perms(0700));
  give_to_user(data_, kServerUser);
  give_to_user(run_, kServerUser);
  give_to_user(temp_folder(run_), kServerUser);

  TestCa ca(dir_, "Cutover MariaDB Test CA");
  CertificateSpec spec;
  spec.ip_addresses = {"127.0.0.1"};
  const Certificate certificate = ca.issue(spec);
  ca_file_ = ca.ca_file();
  certificate_file_ = certificate.certificate_file;
  key_file_ = certificate.key_file;

  install();
  start();
  set_up_accounts();
  if (replica) follow(replica->source);
}

MariadbServer::~MariadbServer() {
  // SIGKILL (Process's destructor): the data is thrown away with the folder anyway.
  server_.reset();
}

void MariadbServer::install() {
  std::vector<std::string> arguments{kInstallProgram, "--no-defaults",
                                     "--datadir=" + data_.string(),
                                     "--auth-root-authentication-method=socket", "--skip-test-db",
                                     // passed on to the bootstrap mariadbd
                                     "--tmpdir=" + temp_folder(run_).string()};
  if (!running_as_root()) arguments.push_back("--auth-root-socket-user=" + admin_user_);
  // mariadb-install-db runs as `mysql` when root, so the files it makes are the server's.
  Process install(as_user(kServerUser, std::move(arguments)), {}, dir_.path());
  const ProcessResult result = install.wait(kCommandBackstop);
  if (result.exit_code != 0) {
    throw std::runtime_error("MariadbServer: mariadb-install-db failed with status " +
                             std::to_string(result.exit_code) + ": " +
                             last_lines(result.out + result.err, kLogTailLines));
  }
}

std::vector<std::string> MariadbServer::server_arguments() const {
  std::vector<std::string> arguments{
      kServerProgram,
      "--no-defaults",
      "--datadir=" + data_.string(),
      "--socket=" + socket_file(run_).string(),
      "--pid-file=" + (run_ / "mariadbd.pid").string(),
      "--log-error=" + error_log(run_).string(),
      "--tmpdir=" + temp_folder(run_).string(),
      "--port=" + std::to_string(port_),
      "--bind-address=127.0.0.1",
      // TCP clients from 127.0.0.1 match accounts @'127.0.0.1', never @localhost.
      "--skip-name-resolve",
      "--server-id=" + std::to_string(server_id_),
      "--log-bin=mariadb-bin",
      "--relay-log=mariadb-relay-bin",
      "--log-slave-updates",
      "--binlog-format=ROW",
      "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_general_ci",
      "--innodb-flush-log-at-trx-commit=0",
      "--sync-binlog=0",
      "--innodb-buffer-pool-size=64M",
      "--ssl-cert=" + certificate_file_.string(),
      "--ssl-key=" + key_file_.string(),
      "--ssl-ca=" + ca_file_.string(),
  };
  if (read_only_) arguments.push_back("--read-only");
  // Started as root, mariadbd drops to `mysql` itself before touching its data, and stays the
  // fixture's own child (runuser would stand between them, and a kill would miss mariadbd).
  if (running_as_root()) arguments.push_back(std::string("--user=") + kServerUser);
  return arguments;
}

void MariadbServer::start() {
  if (running_) return;
  // The first start picks the port; a restart keeps it, as dsn() strings handed out name it.
  const bool pick_port = port_ == 0;
  const fs::path log = error_log(run_);
  std::string failure;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    if (pick_port) port_ = free_port();
    const std::size_t log_before = read_file(log).size();
    server_ = std::make_unique<Process>(server_arguments(), std::map<std::string, std::string>{},
                                        dir_.path());
    const std::string problem = wait_until_ready(log, log_before);
    if (problem.empty()) {
      running_ = true;
      return;
    }
    const ProcessResult exited = server_->wait(kStopBudget);  // killed if it hangs
    server_.reset();
    const std::string this_log = read_file(log).substr(log_before);
    failure = "MariadbServer: mariadbd on 127.0.0.1:" + std::to_string(port_) + " " + problem +
              " (status " + std::to_string(exited.exit_code) + "); error log:\n" +
              last_lines(this_log, kLogTailLines);
    if (!exited.err.empty()) failure += "\nstderr:\n" + last_lines(exited.err, kLogTailLines);
    // Another process may have taken the port between the probe and the server's bind.
    if (!pick_port || this_log.find("Address already in use") == std::string::npos) break;
  }
  throw std::runtime_error(failure);
}

void MariadbServer::stop() {
  if (!running_) return;
  // SIGTERM is mariadbd's normal shutdown, as the SHUTDOWN statement.
  server_->send_signal(SIGTERM);
  const ProcessResult result = server_->wait(kStopBudget);
  server_.reset();
  running_ = false;
  if (result.exit_code != 0) {
    throw std::runtime_error("MariadbServer: mariadbd exited with status " +
                             std::to_string(result.exit_code) + " when stopped; error log:\n" +
                             last_lines(read_file(error_log(run_)), kLogTailLines));
  }
}

// Written with sql_log_bin=0: each server makes its own accounts, and a replica must not
// receive the source's.
void MariadbServer::set_up_accounts() const {
  const std::string password = quote_string(kRootPassword);
  const std::string replication = std::string(kReplicationUser) + "@'127.0.0.1'";
  execute(script({
      "SET SESSION sql_log_bin = 0",
      "ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password"
      " USING PASSWORD(" +
          password + ")",
      "CREATE USER root@'127.0.0.1' IDENTIFIED BY " + password,
      "GRANT ALL PRIVILEGES ON *.* TO root@'127.0.0.1' WITH GRANT OPTION",
      "CREATE USER " + replication + " IDENTIFIED BY " + quote_string(kReplicationPassword),
      "GRANT REPLICATION SLAVE ON *.* TO " + replication,
  }));
}

// Both servers come fresh from mariadb-install-db, so the replica starts at the source's
// current GTID position instead of replaying the source's binary log from its start.
void MariadbServer::follow(const MariadbServer& source) {
  const std::string position = source.query_value("SELECT @@GLOBAL.gtid_binlog_pos");
  execute(script({
      "SET GLOBAL gtid_slave_pos = " + quote_string(position),
      "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = " + std::to_string(source.port_) +
          ", MASTER_USER = " + quote_string(kReplicationUser) +
          ", MASTER_PASSWORD = " + quote_string(kReplicationPassword) +
          ", MASTER_CONNECT_RETRY = 1, MASTER_USE_GTID = slave_pos",
      "START SLAVE",
  }));
  const auto deadline = std::chrono::steady_clock::now() + kReplicaBudget;
  while (true) {
    const std::vector<NamedRow> status = named_query(run_, admin_user_, "SHOW SLAVE STATUS", {});
    const NamedRow row = status.empty() ? NamedRow{} : status.front();
    const std::string io = value_of(row, "Slave_IO_Running");
    const std::string sql = value_of(row, "Slave_SQL_Running");
    if (io == "Yes" && sql == "Yes") return;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error(
          "MariadbServer: the replica on 127.0.0.1:" + std::to_string(port_) +
          " did not start following 127.0.0.1:" + std::to_string(source.port_) + " within " +
          std::to_string(kReplicaBudget.count()) + " s: Slave_IO_Running=" + io +
          ", Slave_SQL_Running=" + sql + ", Last_IO_Error: " + value_of(row, "Last_IO_Error") +
          ", Last_SQL_Error: " + value_of(row, "Last_SQL_Error"));
    }
    std::this_thread::sleep_for(20ms);
  }
}

std::unique_ptr<MariadbServer> MariadbServer::start_replica() const {
  return std::unique_ptr<MariadbServer>(new MariadbServer(ReplicaOf{*this}));
}

std::string MariadbServer::dsn(std::string_view database, std::string_view user,
                               std::string_view password) const {
  std::string text = "mysql://" + percent_encode(user);
  if (!password.empty()) text += ":" + percent_encode(password);
  return text + "@127.0.0.1:" + std::to_string(port_) + "/" + percent_encode(database);
}

void MariadbServer::execute(std::string_view sql, std::string_view database) const {
  const ProcessResult result = run_client(run_, admin_user_, sql, database, false);
  if (result.exit_code != 0) {
    throw std::runtime_error("MariadbServer: " + client_error(result));
  }
}

std::vector<std::vector<std::optional<std::string>>> MariadbServer::query(
    std::string_view sql, std::string_view database) const {
  std::vector<std::vector<std::optional<std::string>>> rows;
  for (const NamedRow& named : named_query(run_, admin_user_, sql, database)) {
    std::vector<std::optional<std::string>>& row = rows.emplace_back();
    for (const Field& field : named)
      row.push_back(field.value);
  }
  return rows;
}

std::string MariadbServer::query_value(std::string_view sql, std::string_view database) const {
  const auto rows = query(sql, database);
  if (rows.empty() || rows.front().empty()) return "";
  return rows.front().front().value_or("");
}

void MariadbServer::create_database(std::string_view name) const {
  execute("DROP DATABASE IF EXISTS " + quote_identifier(name) + "; CREATE DATABASE " +
          quote_identifier(name) + " CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
}

bool mariadb_installed() {
  return ::access(kServerProgram, X_OK) == 0 && ::access(kInstallProgram, X_OK) == 0 &&
         ::access(kClientProgram, X_OK) == 0;
}

MariadbServer& shared_mariadb() {
  static std::mutex mutex;
  static std::unique_ptr<MariadbServer> server;  // destroyed, so killed, at exit
  static std::string failure;                    // a failed start is not retried per test
  const std::lock_guard<std::mutex> lock(mutex);
  if (!server) {
    if (!failure.empty()) throw std::runtime_error(failure);
    try {
      server = std::make_unique<MariadbServer>();
    } catch (const std::exception& error) {
      failure = error.what();
      throw;
    }
  }
  return *server;
}

}  // namespace cutover::loopback
