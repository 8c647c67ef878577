#include "loopback/postgres_cluster.hpp"

#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include "loopback/process.hpp"

namespace cutover::loopback {
namespace {

namespace fs = std::filesystem;

constexpr const char* kInstallRoot = "/usr/lib/postgresql";
constexpr const char* kServerUser = "postgres";
// pg_ctl gives up after its own -t; Process::wait is only a backstop for a hung pg_ctl.
constexpr const char* kStartBudgetSeconds = "60";
constexpr std::chrono::seconds kCommandBackstop{90};
constexpr int kPortAttempts = 3;
constexpr std::size_t kLogTailLines = 40;

// The highest /usr/lib/postgresql/N/bin holding initdb: Debian installs each major version
// there (the /usr/bin wrappers need a cluster registered with pg_createcluster).
fs::path find_bin_dir() {
  std::optional<int> newest;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(kInstallRoot, error)) {
    const std::string name = entry.path().filename().string();
    int version = 0;
    const auto [end, parse_error] =
        std::from_chars(name.data(), name.data() + name.size(), version);
    if (parse_error != std::errc() || end != name.data() + name.size()) continue;
    if (::access((entry.path() / "bin" / "initdb").c_str(), X_OK) != 0) continue;
    if (!newest || version > *newest) newest = version;
  }
  if (!newest) {
    throw std::runtime_error(std::string("PostgresCluster: no PostgreSQL server (") + kInstallRoot +
                             "/N/bin/initdb); scripts/setup.sh installs it");
  }
  return fs::path(kInstallRoot) / std::to_string(*newest) / "bin";
}

bool running_as_root() {
  return ::geteuid() == 0;
}

// PostgreSQL refuses to run as root: the server and its tools run as `postgres` then.
std::vector<std::string> as_server_user(std::vector<std::string> arguments) {
  if (!running_as_root()) return arguments;
  const char* runuser =
      ::access("/usr/sbin/runuser", X_OK) == 0 ? "/usr/sbin/runuser" : "/sbin/runuser";
  arguments.insert(arguments.begin(), {runuser, "-u", kServerUser, "--"});
  return arguments;
}

// Hands a folder or file the fixture created to the server's user (when root).
void give_to_server_user(const fs::path& path) {
  if (!running_as_root()) return;
  const passwd* user = ::getpwnam(kServerUser);
  if (user == nullptr) {
    throw std::runtime_error(
        "PostgresCluster: running as root needs a `postgres` user to run the server as");
  }
  if (::chown(path.c_str(), user->pw_uid, user->pw_gid) != 0) {
    throw std::runtime_error("PostgresCluster: cannot chown " + path.string() + " to postgres");
  }
}

// Free on 127.0.0.1 right now; the server binds it a moment later (start() retries on a clash).
int free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  return probe.local_endpoint().port();
}

ProcessResult run_in(const fs::path& directory, const std::vector<std::string>& arguments) {
  // A working folder the server user can enter: tools run from root's home would warn.
  Process process(arguments, {}, directory);
  return process.wait(kCommandBackstop);
}

std::string output_of(const ProcessResult& result) {
  std::string text = result.out;
  if (!result.err.empty()) {
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += result.err;
  }
  return text;
}

std::string last_lines(const std::string& text, std::size_t count) {
  std::size_t start = text.size();
  if (start > 0 && text[start - 1] == '\n') --start;
  for (std::size_t lines = 0; start > 0; --start) {
    if (text[start - 1] == '\n' && ++lines == count) break;
  }
  return text.substr(start);
}

// POSIX shell single quotes: pg_ctl pastes -o into `sh -c`.
std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

// libpq's key/value syntax: a value that is empty or holds blanks, quotes or backslashes goes in
// single quotes, with \' and \\ escaped.
std::string conninfo_value(std::string_view value) {
  const bool plain = !value.empty() && std::none_of(value.begin(), value.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\'' ||
           c == '\\';
  });
  if (plain) return std::string(value);
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

std::string quote_identifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// Over the cluster's own Unix socket, where the superuser is trusted. NOTICEs (from DROP ... IF
// EXISTS, say) would be printed on stderr by libpq.
std::string admin_dsn(const fs::path& socket_dir, int port, std::string_view database) {
  return "host=" + conninfo_value(socket_dir.string()) + " port=" + std::to_string(port) +
         " user=" + conninfo_value(PostgresCluster::kSuperuser) +
         " dbname=" + conninfo_value(database) + " options='-c client_min_messages=warning'";
}

fs::path server_log(const fs::path& socket_dir) {
  return socket_dir / "server.log";
}

std::string server_log_tail(const fs::path& socket_dir) {
  return last_lines(read_file(server_log(socket_dir)), kLogTailLines);
}

// `pg_ctl ACTION -D DATA -w OPTIONS...`, waiting for the action to finish.
ProcessResult run_pg_ctl(const fs::path& directory, const fs::path& bin, const fs::path& data,
                         const std::string& action, const std::vector<std::string>& options) {
  std::vector<std::string> arguments{(bin / "pg_ctl").string(), action, "-D", data.string(), "-w"};
  arguments.insert(arguments.end(), options.begin(), options.end());
  return run_in(directory, as_server_user(std::move(arguments)));
}

// Errors do not matter: this runs on the way out or after a failed start.
void stop_immediately(const fs::path& directory, const fs::path& bin, const fs::path& data) {
  run_pg_ctl(directory, bin, data, "stop", {"-m", "immediate", "-t", "10"});
}

}  // namespace

PostgresCluster::PostgresCluster() {
  bin_ = find_bin_dir();
  data_ = dir_.path() / "data";
  socket_dir_ = dir_.path() / "run";
  // Created by root: the server user must be able to reach the subfolders handed to it.
  fs::permissions(dir_.path(), fs::perms(0755));
  fs::create_directory(data_);
  fs::create_directory(socket_dir_);
  fs::permissions(data_, fs::perms(0700));
  fs::permissions(socket_dir_, fs::perms(0755));
  give_to_server_user(data_);
  give_to_server_user(socket_dir_);

  const fs::path password_file = dir_.write("run/superuser-password", kPassword);
  fs::permissions(password_file, fs::perms(0600));
  give_to_server_user(password_file);
  const ProcessResult initdb =
      run_in(dir_.path(),
             as_server_user({(bin_ / "initdb").string(), "-D", data_.string(), "-U",
                             std::string(kSuperuser), "--auth-local=trust",
                             "--auth-host=scram-sha-256", "--pwfile=" + password_file.string(),
                             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"}));
  std::error_code ignored;
  fs::remove(password_file, ignored);
  if (initdb.exit_code != 0) {
    throw std::runtime_error("PostgresCluster: initdb failed with status " +
                             std::to_string(initdb.exit_code) + ": " + output_of(initdb));
  }
  start();
}

PostgresCluster::PostgresCluster(StandbyOf standby) {
  bin_ = standby.primary.bin_;
  data_ = dir_.path() / "data";
  socket_dir_ = dir_.path() / "run";
  fs::permissions(dir_.path(), fs::perms(0755));
  fs::create_directory(data_);
  fs::create_directory(socket_dir_);
  fs::permissions(data_, fs::perms(0700));
  fs::permissions(socket_dir_, fs::perms(0755));
  give_to_server_user(data_);
  give_to_server_user(socket_dir_);
  // pg_basebackup fills the empty data folder and, with -R, writes standby.signal and
  // primary_conninfo (password included) in postgresql.auto.conf.
  const ProcessResult backup = run_in(
      dir_.path(), as_server_user({(bin_ / "pg_basebackup").string(), "-D", data_.string(), "-R",
                                   "-X", "stream", "--no-sync", "-d",
                                   "host=127.0.0.1 port=" + std::to_string(standby.primary.port_) +
                                       " user=" + std::string(kSuperuser) +
                                       " password=" + conninfo_value(kPassword)}));
  if (backup.exit_code != 0) {
    throw std::runtime_error("PostgresCluster: pg_basebackup failed with status " +
                             std::to_string(backup.exit_code) + ": " + output_of(backup));
  }
  start();
}

std::unique_ptr<PostgresCluster> PostgresCluster::start_standby() const {
  return std::unique_ptr<PostgresCluster>(new PostgresCluster(StandbyOf{*this}));
}

PostgresCluster::~PostgresCluster() {
  if (!running_) return;
  try {
    stop_immediately(dir_.path(), bin_, data_);
  } catch (...) {
    // A destructor must not throw; TempDir removes the folder either way.
  }
}

std::string PostgresCluster::dsn(std::string_view database, std::string_view user,
                                 std::string_view password) const {
  std::string text = "host=127.0.0.1 port=" + std::to_string(port_) +
                     " dbname=" + conninfo_value(database) + " user=" + conninfo_value(user);
  if (!password.empty()) text += " password=" + conninfo_value(password);
  return text + " connect_timeout=5";
}

void PostgresCluster::execute(std::string_view database, std::string_view sql) const {
  try {
    pqxx::connection connection(admin_dsn(socket_dir_, port_, database));
    pqxx::nontransaction work(connection);
    work.exec(std::string(sql));
    work.commit();
  } catch (const std::exception& error) {
    throw std::runtime_error("PostgresCluster: in database \"" + std::string(database) +
                             "\": " + error.what());
  }
}

std::string PostgresCluster::query_value(std::string_view database, std::string_view sql) const {
  try {
    pqxx::connection connection(admin_dsn(socket_dir_, port_, database));
    pqxx::nontransaction work(connection);
    const pqxx::result result = work.exec(std::string(sql));
    work.commit();
    if (result.empty() || result.columns() == 0 || result[0][0].is_null()) return "";
    return result[0][0].c_str();
  } catch (const std::exception& error) {
    throw std::runtime_error("PostgresCluster: in database \"" + std::string(database) +
                             "\": " + error.what());
  }
}

void PostgresCluster::create_database(std::string_view name) const {
  // Two calls: DROP/CREATE DATABASE refuse to run inside a multi-statement string.
  execute("postgres", "DROP DATABASE IF EXISTS " + quote_identifier(name) + " WITH (FORCE)");
  execute("postgres", "CREATE DATABASE " + quote_identifier(name));
}

void PostgresCluster::stop() {
  if (!running_) return;
  const ProcessResult result =
      run_pg_ctl(dir_.path(), bin_, data_, "stop", {"-m", "fast", "-t", kStartBudgetSeconds});
  if (result.exit_code != 0) {
    throw std::runtime_error("PostgresCluster: pg_ctl stop failed with status " +
                             std::to_string(result.exit_code) + ": " + output_of(result) +
                             "\nserver log:\n" + server_log_tail(socket_dir_));
  }
  running_ = false;
}

void PostgresCluster::start() {
  if (running_) return;
  // The first start picks the port; a restart keeps it, as dsn() strings handed out name it.
  const bool pick_port = port_ == 0;
  const fs::path log = server_log(socket_dir_);
  std::string failure;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    if (pick_port) port_ = free_port();
    const std::size_t log_before = read_file(log).size();
    const std::string options = "-p " + std::to_string(port_) + " -k " +
                                shell_quote(socket_dir_.string()) +
                                " -c listen_addresses=127.0.0.1 -c wal_level=logical"
                                " -c fsync=off -c max_connections=100 -c max_wal_senders=10"
                                " -c max_replication_slots=10";
    const ProcessResult result =
        run_pg_ctl(dir_.path(), bin_, data_, "start",
                   {"-o", options, "-t", kStartBudgetSeconds, "-l", log.string()});
    if (result.exit_code == 0) {
      running_ = true;
      return;
    }
    // A server still starting when pg_ctl gave up must not linger.
    stop_immediately(dir_.path(), bin_, data_);
    const std::string this_log = read_file(log).substr(log_before);
    failure = "PostgresCluster: pg_ctl start on 127.0.0.1:" + std::to_string(port_) +
              " failed with status " + std::to_string(result.exit_code) + ": " + output_of(result) +
              "\nserver log:\n" + server_log_tail(socket_dir_);
    // Another process may have taken the port between the probe and the server's bind.
    if (!pick_port || this_log.find("already in use") == std::string::npos) break;
  }
  throw std::runtime_error(failure);
}

PostgresCluster& shared_postgres() {
  static std::mutex mutex;
  static std::unique_ptr<PostgresCluster> cluster;  // destroyed, so stopped, at exit
  static std::string failure;                       // a failed start is not retried per test
  const std::lock_guard<std::mutex> lock(mutex);
  if (!cluster) {
    if (!failure.empty()) throw std::runtime_error(failure);
    try {
      cluster = std::make_unique<PostgresCluster>();
    } catch (const std::exception& error) {
      failure = error.what();
      throw;
    }
  }
  return *cluster;
}

std::shared_ptr<const Database> declare(const std::string& name, const std::string& dsn,
                                        int max_connections) {
  auto database = std::make_shared<Database>();
  database->name = name;
  database->dsn = dsn;
  // As the loader does; a DSN it would refuse stays PostgreSQL, for tests of what a check does
  // with a broken DSN.
  const Expected<Engine> engine = engine_of(dsn);
  database->engine = engine ? engine.value() : Engine::postgres;
  database->max_connections = max_connections;
  return database;
}

}  // namespace cutover::loopback
