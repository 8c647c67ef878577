#include "checks/mysql/frozen.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <mysql.h>

#include "loopback/mariadb_server.hpp"
#include "loopback/postgres_cluster.hpp"
#include "tests/support/check_runner.hpp"

// db.frozen on MySQL/MariaDB, against a real MariaDB server. The shared server's read_only is
// OFF: a test that needs it ON sets it for its own length only.

namespace cutover {
namespace {

using loopback::shared_mariadb;
using test::declared;
using test::expect_result;
using test::expect_result_matching;
using test::FieldMap;
using namespace std::chrono_literals;

// read_only ON for the guard's lifetime, OFF again however the test ends, so the tests after it
// can write. The fixture's root keeps writing (READ ONLY ADMIN).
class ReadOnlyServer {
 public:
  ReadOnlyServer() { shared_mariadb().execute("SET GLOBAL read_only = ON"); }
  ~ReadOnlyServer() {
    try {
      shared_mariadb().execute("SET GLOBAL read_only = OFF");
    } catch (const std::exception& error) {
      ADD_FAILURE() << "read_only stays ON: " << error.what();
    }
  }
  ReadOnlyServer(const ReadOnlyServer&) = delete;
  ReadOnlyServer& operator=(const ReadOnlyServer&) = delete;
};

// A client session of the test's own over TCP, as an application would hold one.
class Client {
 public:
  Client(const std::string& database, const std::string& user, const std::string& password)
      : mysql_(mysql_init(nullptr)) {
    if (mysql_real_connect(mysql_, "127.0.0.1", user.c_str(), password.c_str(), database.c_str(),
                           static_cast<unsigned>(shared_mariadb().port()), nullptr, 0) == nullptr) {
      throw std::runtime_error(mysql_error(mysql_));
    }
  }
  ~Client() { mysql_close(mysql_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void execute(const std::string& sql) {
    if (mysql_query(mysql_, sql.c_str()) != 0) throw std::runtime_error(mysql_error(mysql_));
    if (MYSQL_RES* result = mysql_store_result(mysql_)) mysql_free_result(result);
  }
  std::string id() const { return std::to_string(mysql_thread_id(mysql_)); }

 private:
  MYSQL* mysql_;
};

class MysqlFrozenTest : public ::testing::Test {
 protected:
  MysqlFrozenTest() {
    static std::atomic<int> counter{0};
    name_ = "myfrozen_" + std::to_string(++counter);
    shared_mariadb().create_database(name_);
    shared_mariadb().execute(
        "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB; "
        "INSERT INTO items VALUES (1, 'apple'), (2, 'pear')",
        name_);
  }

  std::shared_ptr<const Database> shop() const {
    return loopback::declare("shop", shared_mariadb().dsn(name_));
  }

  FieldMap watch(Duration window, FieldMap more = {}) const {
    more["database"] = shop();
    more["window"] = window;
    return more;
  }

  // Runs the check on another thread and `during` on this one once the window has begun.
  static test::Completed run_while(MysqlFrozenCheck& check, const std::function<void()>& during) {
    auto run = std::async(std::launch::async, [&check] { return test::run_check(check); });
    std::this_thread::sleep_for(400ms);
    during();
    return run.get();
  }

  Client root() const {
    return Client(name_, std::string(loopback::MariadbServer::kRootUser),
                  std::string(loopback::MariadbServer::kRootPassword));
  }

  std::string name_;
};

constexpr const char* kBinlog = "mariadb-bin\\.[0-9]+:[0-9]+ \\(GTID [0-9-]+\\)";

TEST_F(MysqlFrozenTest, AQuietReadOnlyServerPasses) {
  ReadOnlyServer read_only;
  auto check = test::make_check<MysqlFrozenCheck>(watch(1s));
  const auto run = test::run_check(*check);
  expect_result_matching(
      run, Outcome::passed,
      std::string("no writes to 'shop' during 1s: read_only ON, binary log at ") + kBinlog);
  EXPECT_EQ(run.completions, 1);
  for (const char* zero :
       {"write_statements", "binlog_bytes", "user_sessions", "write_transactions"}) {
    ASSERT_NE(test::find_measurement(run.result, zero), nullptr) << zero;
    EXPECT_EQ(test::find_measurement(run.result, zero)->value, 0) << zero;
  }
  EXPECT_GE(test::find_measurement(run.result, "window_ms")->value, 1000);
}

TEST_F(MysqlFrozenTest, AWriteDuringTheWindowFailsWithTheBinaryLogAndInnodbsCounter) {
  ReadOnlyServer read_only;
  auto check = test::make_check<MysqlFrozenCheck>(watch(1500ms));
  const auto run = run_while(*check, [this] {
    shared_mariadb().execute(
        "INSERT INTO items VALUES (3, 'fig'); UPDATE items SET name = 'x' WHERE id = 1", name_);
  });
  expect_result_matching(run, Outcome::failed,
                         std::string("during 1\\.5s: the binary log moved from ") + kBinlog +
                             " to " + kBinlog +
                             ", expected no change; InnoDB's transaction counter "
                             "\\(Innodb_max_trx_id\\) moved from [0-9]+ to [0-9]+, expected no "
                             "change");
  EXPECT_GT(test::find_measurement(run.result, "binlog_bytes")->value, 0);
  EXPECT_EQ(test::find_measurement(run.result, "write_statements")->value, 2);
  EXPECT_NE(run.result.details.find("write statements run: 2 (refused ones count)"),
            std::string::npos)
      << run.result.details;
}

// A write kept out of the binary log is a write the target never gets: InnoDB's counter sees it.
TEST_F(MysqlFrozenTest, AWriteOutsideTheBinaryLogFails) {
  ReadOnlyServer read_only;
  auto check = test::make_check<MysqlFrozenCheck>(watch(1500ms));
  const auto run = run_while(*check, [this] {
    shared_mariadb().execute("SET SESSION sql_log_bin = 0; DELETE FROM items WHERE id = 2", name_);
  });
  expect_result_matching(run, Outcome::failed,
                         "during 1\\.5s: InnoDB's transaction counter \\(Innodb_max_trx_id\\) "
                         "moved from [0-9]+ to [0-9]+, expected no change");
  EXPECT_EQ(test::find_measurement(run.result, "binlog_bytes")->value, 0);
}

TEST_F(MysqlFrozenTest, AnUnreachableServerIsAnError) {
  auto check = test::make_check<MysqlFrozenCheck>(
      {{"database", loopback::declare("down", "mysql://u:pw-9x@127.0.0.1:1/x")},
       {"window", Duration(1s)}});
  const auto run = test::run_check(*check);
  expect_result_matching(run, Outcome::error, "cannot connect to database 'down': .*");
  EXPECT_EQ(run.result.message.find("pw-9x"), std::string::npos);
  EXPECT_EQ(run.completions, 1);
}

TEST_F(MysqlFrozenTest, AnOpenWriteTransactionFails) {
  ReadOnlyServer read_only;
  Client holder = root();
  holder.execute("START TRANSACTION");
  holder.execute("INSERT INTO items VALUES (9, 'held')");
  auto check = test::make_check<MysqlFrozenCheck>(watch(1s));
  const auto run = test::run_check(*check);
  expect_result(run, Outcome::failed,
                "during 1s: 1 session had an open write transaction, expected none");
  EXPECT_NE(run.result.details.find("open write transactions: connections " + holder.id()),
            std::string::npos)
      << run.result.details;
  EXPECT_EQ(test::find_measurement(run.result, "write_transactions")->value, 1);
  holder.execute("ROLLBACK");
  // INNODB_TRX is a copy InnoDB refreshes at most every 100ms.
  std::this_thread::sleep_for(200ms);

  // Locks taken for a write count too, though no row changed yet.
  Client locker = root();
  locker.execute("START TRANSACTION");
  locker.execute("SELECT * FROM items WHERE id = 1 FOR UPDATE");
  expect_result(test::run_check(*check), Outcome::failed,
                "during 1s: 1 session had an open write transaction, expected none");
  locker.execute("ROLLBACK");
  std::this_thread::sleep_for(200ms);

  // A reading transaction is no write.
  Client reader = root();
  reader.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT");
  reader.execute("SELECT * FROM items");
  EXPECT_EQ(test::run_check(*check).result.outcome, Outcome::passed);
}

TEST_F(MysqlFrozenTest, ReadOnlyOffFailsUnlessNotRequired) {
  auto check = test::make_check<MysqlFrozenCheck>(watch(1s));
  expect_result(test::run_check(*check), Outcome::failed,
                "during 1s: read_only was OFF, expected ON");

  auto reported = test::make_check<MysqlFrozenCheck>(watch(1s, {{"require_read_only", false}}));
  expect_result_matching(test::run_check(*reported), Outcome::passed,
                         std::string("no writes to 'shop' during 1s: read_only OFF \\(not "
                                     "required\\), binary log at ") +
                             kBinlog);
}

TEST_F(MysqlFrozenTest, ReadOnlyTurnedOffDuringTheWindowFails) {
  ReadOnlyServer read_only;
  auto check = test::make_check<MysqlFrozenCheck>(watch(1500ms));
  const auto run = run_while(*check, [] {
    shared_mariadb().execute("SET GLOBAL read_only = OFF");
    std::this_thread::sleep_for(600ms);
    shared_mariadb().execute("SET GLOBAL read_only = ON");
  });
  expect_result(run, Outcome::failed, "during 1.5s: read_only was OFF, expected ON");
}

TEST_F(MysqlFrozenTest, ASessionOfAListedUserFails) {
  ReadOnlyServer read_only;
  shared_mariadb().execute(
      "CREATE OR REPLACE USER 'frozen_app'@'%' IDENTIFIED BY 'app-pass-7q'; "
      "GRANT SELECT ON " +
      name_ + ".* TO 'frozen_app'@'%'");
  {
    Client app(name_, "frozen_app", "app-pass-7q");
    auto check = test::make_check<MysqlFrozenCheck>(
        watch(1s, {{"users", std::vector<std::string>{"frozen_app", "nobody_else"}}}));
    const auto run = test::run_check(*check);
    expect_result(run, Outcome::failed, "during 1s: user frozen_app had 1 session, expected none");
    EXPECT_NE(run.result.details.find("user frozen_app: connections " + app.id()),
              std::string::npos)
        << run.result.details;
    EXPECT_EQ(test::find_measurement(run.result, "user_sessions")->value, 1);
  }
  // The server ends a closed session's thread soon after.
  for (int i = 0; i < 50 && shared_mariadb().query_value(
                                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE "
                                "USER = 'frozen_app'") != "0";
       ++i)
    std::this_thread::sleep_for(100ms);
  auto check = test::make_check<MysqlFrozenCheck>(
      watch(1s, {{"users", std::vector<std::string>{"frozen_app"}}}));
  expect_result_matching(
      test::run_check(*check), Outcome::passed,
      std::string("no writes to 'shop' during 1s: read_only ON, binary log at ") + kBinlog +
          ", and no sessions of frozen_app");
}

TEST_F(MysqlFrozenTest, AWindowLongerThanTheBudgetIsAnError) {
  auto check = test::make_check<MysqlFrozenCheck>(watch(2s));
  const auto run = test::run_check(*check, 2s);
  expect_result_matching(run, Outcome::error,
                         "the window of 2s does not fit in the 1\\.[0-9]+s left of the attempt's "
                         "budget \\(the readings need 500ms more\\): shorten window or raise "
                         "timeout");
  EXPECT_LT(run.elapsed, 500ms);
  EXPECT_EQ(run.completions, 1);
}

TEST_F(MysqlFrozenTest, CancellingStopsTheWindowAtOnce) {
  auto check = test::make_check<MysqlFrozenCheck>(watch(3s));
  const auto run = test::run_check(*check, test::kCheckTimeout, 700ms);
  expect_result_matching(run, Outcome::error, "cancelled [0-9]+ms into the window of 3s");
  EXPECT_LT(run.elapsed, 1500ms);
  EXPECT_EQ(run.completions, 1);
}

TEST_F(MysqlFrozenTest, MistakesInFieldsArePlaced) {
  EXPECT_EQ(test::construction_errors<MysqlFrozenCheck>({}),
            (std::vector<std::string>{"suite.yaml:7:5: error: database: give the database to watch",
                                      "suite.yaml:7:5: error: window: 5s leaves less than 1s of "
                                      "the check's timeout (5s) for the readings: shorten window "
                                      "or raise timeout to 6s"}));
  const KindSpec spec = MysqlFrozenCheck::spec();
  EXPECT_TRUE(declared(spec, "users").non_empty);
  EXPECT_EQ(declared(spec, "require_read_only").default_value, "true");
  auto check = test::make_check<MysqlFrozenCheck>(
      watch(2s, {{"users", std::vector<std::string>{"app_rw"}}, {"require_read_only", false}}));
  EXPECT_EQ(check->describe(), "shop frozen for 2s, read_only not required; no sessions of app_rw");
}

}  // namespace
}  // namespace cutover
