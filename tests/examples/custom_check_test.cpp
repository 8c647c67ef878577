#include "examples/custom_check/file_contains.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "checks/builtin.hpp"
#include "harness/scheduler.hpp"
#include "harness/selection.hpp"
#include "harness/suite.hpp"
#include "loopback/tcp_servers.hpp"
#include "loopback/temp_dir.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kConfig =
    "[database]\n"
    "host = db-new.internal\n"
    "url = postgres://db-old.internal/app\n"
    "replica = db-old.internal\n";

// A FIFO that a thread feeds line after line, so a read of it never ends: the stand-in for a
// file on a hung network mount. The thread stops when the reader closes its end, or after 10s.
class EndlessFile {
 public:
  explicit EndlessFile(std::filesystem::path path) : path_(std::move(path)) {
    if (::mkfifo(path_.c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed");
    thread_ = std::thread([this] { feed(); });
  }

  ~EndlessFile() {
    // Frees the thread when it still waits in open() for a reader that never came.
    const int unblock = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK);
    if (thread_.joinable()) thread_.join();
    if (unblock >= 0) ::close(unblock);
  }

  const std::filesystem::path& path() const { return path_; }

  // Waits until the thread stops; true when it stopped because the reader went away.
  bool reader_went_away() {
    if (thread_.joinable()) thread_.join();
    return reader_went_away_;
  }

 private:
  void feed() {
    const int fd = ::open(path_.c_str(), O_WRONLY);
    if (fd < 0) return;
    const std::string line = "some = line\n";
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < give_up) {
      if (::write(fd, line.data(), line.size()) < 0) {
        reader_went_away_ = errno == EPIPE;
        break;
      }
    }
    ::close(fd);
  }

  std::filesystem::path path_;
  std::atomic<bool> reader_went_away_ = false;
  std::thread thread_;
};

class FileContainsTest : public ::testing::Test {
 protected:
  FileContainsTest() {
    // A write to a FIFO whose reader is gone raises SIGPIPE; EndlessFile wants EPIPE instead.
    std::signal(SIGPIPE, SIG_IGN);
    register_builtin_checks(registry);
    registry.add<examples::FileContainsCheck>("file_contains");
    config = directory.write("app.conf", kConfig).string();
  }

  Expected<Plan, Diagnostics> load(const std::string& checks) {
    LoadOptions options;
    options.environment = [](std::string_view name) -> std::optional<std::string> {
      if (name == "OLD_DB_PASSWORD") return "s3cret-old";
      return std::nullopt;
    };
    options.variables = {{"APP_CONFIG", config}};
    return load_suite_text("suite: s\nchecks:\n" + checks, "s.yaml", registry, options);
  }

  // Loads the checks (a YAML list) and runs all of them, like `cutover run`.
  void run(const std::string& checks) {
    auto loaded = load(checks);
    ASSERT_TRUE(loaded) << to_string(loaded.error().front());
    run_plan(std::move(loaded).value());
  }

  void run_plan(Plan loaded) {
    plan = std::move(loaded);
    auto selected = select_checks(plan, {});
    ASSERT_TRUE(selected) << selected.error().message;
    scheduler = std::make_unique<Scheduler>(io, blocking, reporter);
    summary = scheduler->run(plan, selected.value(), RunInfo{});
  }

  const Result& result(std::size_t i) const {
    if (!scheduler) throw std::logic_error("the checks did not run");
    return scheduler->results().at(i);
  }

  double measurement(std::size_t i, std::string_view name) const {
    for (const Measurement& measurement : result(i).measurements) {
      if (measurement.name == name) return measurement.value;
    }
    ADD_FAILURE() << "no measurement " << name;
    return -1;
  }

  Registry registry;
  loopback::TempDir directory;
  std::string config;
  boost::asio::io_context io;
  boost::asio::thread_pool blocking{2};
  Reporter reporter;  // the base class ignores every event
  Plan plan;
  std::unique_ptr<Scheduler> scheduler;
  RunSummary summary;
};

TEST_F(FileContainsTest, PassesWhenTheTextIsPresent) {
  run(R"(
  - { name: names new db, kind: file_contains, path: "${APP_CONFIG}", pattern: db-new.internal }
)");
  EXPECT_EQ(result(0).outcome, Outcome::passed);
  EXPECT_EQ(result(0).message, "found \"db-new.internal\" on line 2 of " + config);
  EXPECT_EQ(result(0).details, "line 2: host = db-new.internal\n");
  EXPECT_EQ(measurement(0, "lines"), 4);
  EXPECT_EQ(measurement(0, "matching_lines"), 1);
}

TEST_F(FileContainsTest, FailsWhenAnAbsentTextIsThereAndQuotesTheLines) {
  run(R"(
  - name: old db gone
    kind: file_contains
    path: "${APP_CONFIG}"
    pattern: db-old.internal
    expect: absent
)");
  EXPECT_EQ(result(0).outcome, Outcome::failed);
  EXPECT_EQ(result(0).message, "expected no \"db-old.internal\" in " + config +
                                   ", found on 2 lines, first line 3: "
                                   "url = postgres://db-old.internal/app");
  EXPECT_EQ(result(0).details,
            "line 3: url = postgres://db-old.internal/app\nline 4: replica = db-old.internal\n");
  EXPECT_EQ(summary.count(Outcome::failed), 1u);
}

TEST_F(FileContainsTest, RegexMatchesWithinOneLine) {
  run(R"(
  - { name: host set, kind: file_contains, path: "${APP_CONFIG}", match: regex,
      pattern: '^host\s*=\s*db-new\.internal$' }
  - { name: host is old, kind: file_contains, path: "${APP_CONFIG}", match: regex,
      pattern: '^host\s*=\s*db-old' }
  - { name: no password, kind: file_contains, path: "${APP_CONFIG}", match: regex,
      pattern: 'password\s*=', expect: absent }
)");
  EXPECT_EQ(result(0).outcome, Outcome::passed);
  EXPECT_EQ(result(1).outcome, Outcome::failed);
  EXPECT_EQ(result(1).message,
            "expected regex \"^host\\s*=\\s*db-old\" in " + config + ", not found in 4 lines");
  EXPECT_EQ(result(2).outcome, Outcome::passed);
  EXPECT_EQ(result(2).message, "no regex \"password\\s*=\" in " + config + " (4 lines)");
}

TEST_F(FileContainsTest, AMissingFileIsAnError) {
  const std::string missing = (directory.path() / "gone.conf").string();
  run("  - { name: c, kind: file_contains, path: \"" + missing + "\", pattern: x }\n");
  EXPECT_EQ(result(0).outcome, Outcome::error);
  EXPECT_EQ(result(0).message, "could not open " + missing + ": No such file or directory");
}

TEST_F(FileContainsTest, ASecretPatternIsMaskedInMessagesAndEvidence) {
  directory.write("app.conf", "user = app\npassword = s3cret-old\n");
  run(R"(
  - { name: no old password, kind: file_contains, path: "${APP_CONFIG}",
      pattern: "${secret:OLD_DB_PASSWORD}", expect: absent }
)");
  EXPECT_EQ(result(0).outcome, Outcome::failed);
  EXPECT_EQ(result(0).message,
            "expected no \"***\" in " + config + ", found on 1 line, first line 2: password = ***");
  EXPECT_EQ(result(0).details, "line 2: password = ***\n");
}

TEST_F(FileContainsTest, TimesOutOnAFileThatNeverEndsAndStopsReading) {
  EndlessFile endless(directory.path() / "endless");
  run("  - { name: c, kind: file_contains, path: \"" + endless.path().string() +
      "\", pattern: never, timeout: 200ms }\n");
  EXPECT_EQ(result(0).outcome, Outcome::error);
  EXPECT_EQ(result(0).message, "timed out after 200ms");
  EXPECT_LT(result(0).duration, Duration(2s));
  // The read on the pool saw the cancellation and closed the file.
  EXPECT_TRUE(endless.reader_went_away());
}

TEST_F(FileContainsTest, ReportsWhereItStoppedWhenCancelled) {
  EndlessFile endless(directory.path() / "endless");
  auto loaded = load("  - { name: c, kind: file_contains, path: \"" + endless.path().string() +
                     "\", pattern: never }\n");
  ASSERT_TRUE(loaded) << to_string(loaded.error().front());
  Check& check = *loaded.value().checks.at(0).check;

  // One attempt driven by hand, as the scheduler would: cancelled 100ms in.
  auto work = boost::asio::make_work_guard(io);
  CheckContext context{io, blocking, std::chrono::steady_clock::now() + 10s, 10s,
                       std::make_shared<Cancellation>()};
  std::optional<CheckResult> answer;
  check.start(context, [&](CheckResult result) { answer = std::move(result); });
  boost::asio::steady_timer canceller(io, 100ms);
  canceller.async_wait([&](boost::system::error_code) { context.cancellation->cancel(); });
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!answer && std::chrono::steady_clock::now() < give_up)
    io.run_one_for(100ms);

  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->outcome, Outcome::error);
  EXPECT_TRUE(answer->message.starts_with("cancelled after reading "));
  EXPECT_TRUE(answer->message.ends_with(" lines of " + endless.path().string()));
  EXPECT_TRUE(endless.reader_went_away());
}

TEST_F(FileContainsTest, ReportsEveryFieldMistakeAtItsPlaceWhenTheSuiteLoads) {
  auto loaded = load(R"(  - name: bad regex
    kind: file_contains
    path: /etc/app.conf
    match: regex
    pattern: "host = (db-new"
  - name: unknown expectation
    kind: file_contains
    path: /etc/app.conf
    pattern: db-old
    expect: gone
)");
  ASSERT_FALSE(loaded);
  std::vector<std::string> errors;
  for (const Diagnostic& diagnostic : loaded.error())
    errors.push_back(to_string(diagnostic));
  ASSERT_EQ(errors.size(), 2u);
  // The standard library's own explanation follows; its wording differs between versions.
  EXPECT_TRUE(
      errors[0].starts_with("s.yaml:7:14: error: check 'bad regex': expected a regular "
                            "expression, got \"host = (db-new\": "))
      << errors[0];
  EXPECT_EQ(errors[1], "s.yaml:12:13: error: expect: expected one of present, absent, got 'gone'");
}

TEST_F(FileContainsTest, RejectsEmptyValuesWhenTheSuiteLoads) {
  auto loaded = load(R"(  - name: empty
    kind: file_contains
    path: ""
    pattern: ""
)");
  ASSERT_FALSE(loaded);
  std::vector<std::string> errors;
  for (const Diagnostic& diagnostic : loaded.error())
    errors.push_back(to_string(diagnostic));
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "s.yaml:5:11: error: path: expected a non-empty string, got ''",
                        "s.yaml:6:14: error: pattern: expected a non-empty string, got ''",
                    }));
}

TEST_F(FileContainsTest, DescribesItselfForDryRuns) {
  auto loaded = load(R"(
  - { name: c, kind: file_contains, path: /etc/app.conf, pattern: db-old, expect: absent }
)");
  ASSERT_TRUE(loaded) << to_string(loaded.error().front());
  EXPECT_EQ(loaded.value().checks.at(0).check->describe(),
            "/etc/app.conf expect absent \"db-old\"");
}

// The example suite that ships beside the kind, with a tcp check, against loopback.
TEST_F(FileContainsTest, TheExampleSuitePassesAgainstLoopback) {
  loopback::AcceptingServer database;
  const std::string app_config = directory
                                     .write("example.conf",
                                            "[database]\n"
                                            "host = 127.0.0.1\n"
                                            "password_file = /run/secrets/db\n")
                                     .string();
  LoadOptions options;
  options.environment = [](std::string_view name) -> std::optional<std::string> {
    if (name == "OLD_DB_PASSWORD") return "s3cret-old";
    return std::nullopt;
  };
  options.variables = {{"APP_CONFIG", app_config},
                       {"NEW_DB_HOST", "127.0.0.1"},
                       {"NEW_DB_PORT", std::to_string(database.port())},
                       {"OLD_DB_HOST", "db-old.internal"}};
  auto loaded = load_suites(
      {std::filesystem::path(CUTOVER_SOURCE_DIR) / "examples/custom_check/config-cutover.yaml"},
      registry, options);
  ASSERT_TRUE(loaded) << to_string(loaded.error().front());
  run_plan(std::move(loaded).value());
  ASSERT_EQ(summary.total(), 4u);
  for (std::size_t i = 0; i < summary.total(); ++i)
    EXPECT_EQ(result(i).outcome, Outcome::passed) << result(i).message;
}

}  // namespace
}  // namespace cutover
