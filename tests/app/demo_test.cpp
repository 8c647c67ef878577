// `cutover demo` end to end, through the built binary, as CI runs it: the environments, the
// shipped suites and the reports. Needs the PostgreSQL server binaries (scripts/setup.sh).

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "loopback/process.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/support/run_cutover.hpp"

namespace cutover {
namespace {

namespace fs = std::filesystem;
using loopback::ProcessResult;
using loopback::TempDir;
using Json = nlohmann::json;

// "suite/name" of every check in a results.json whose outcome is not `passed`.
std::set<std::string> not_passed(const Json& results) {
  std::set<std::string> names;
  for (const Json& check : results.at("checks")) {
    if (check.at("outcome") != "passed") {
      names.insert(check.at("suite").get<std::string>() + "/" +
                   check.at("name").get<std::string>());
    }
  }
  return names;
}

const Json* find_check(const Json& results, const std::string& name) {
  for (const Json& check : results.at("checks")) {
    if (check.at("name") == name) return &check;
  }
  return nullptr;
}

TEST(Demo, CleanRunPassesEveryCheckOfEveryKind) {
  loopback::TempDir dir;
  const fs::path out = dir.path() / "reports";
  const loopback::ProcessResult result = test::run_cutover({"demo", "--out", out.string()});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;

  const Json results = Json::parse(loopback::read_file(out / "results.json"));
  EXPECT_EQ(not_passed(results), std::set<std::string>{});
  EXPECT_EQ(results.at("summary").at("total"), results.at("summary").at("passed"));
  std::set<std::string> kinds;
  std::set<std::string> suites;
  for (const Json& check : results.at("checks")) {
    kinds.insert(check.at("kind").get<std::string>());
    suites.insert(check.at("suite").get<std::string>());
  }
  EXPECT_EQ(kinds,
            (std::set<std::string>{"db.connect", "db.row_count", "dns", "http", "postgres.checksum",
                                   "postgres.connect", "postgres.frozen", "postgres.query",
                                   "postgres.replication", "postgres.row_count", "postgres.schema",
                                   "postgres.smoke", "tcp", "tls"}));
  EXPECT_EQ(suites, (std::set<std::string>{"pre-cutover", "sync", "post-cutover", "inventory"}));

  // Every report is written and named at the end.
  for (const char* file : {"junit.xml", "results.json", "report.html", "summary.md"}) {
    EXPECT_TRUE(fs::exists(out / file)) << file;
    EXPECT_NE(result.out.find((out / file).string()), std::string::npos) << file << result.out;
  }
}

TEST(Demo, BreakFailsExactlyTheChecksOfTheInjectedFaults) {
  loopback::TempDir dir;
  const fs::path out = dir.path() / "reports";
  const loopback::ProcessResult result =
      test::run_cutover({"demo", "--break", "--out", out.string()});
  ASSERT_EQ(result.exit_code, 1) << result.out << result.err;

  const Json results = Json::parse(loopback::read_file(out / "results.json"));
  EXPECT_EQ(not_passed(results), (std::set<std::string>{
                                     // the certificate expires in 3 days
                                     "pre-cutover/new certificate valid for two more weeks",
                                     // www.shop.test still points at the old environment
                                     "post-cutover/www.shop.test moved to the new environment",
                                     // order 4321 is missing on the target
                                     "post-cutover/row counts match",
                                     // order 1234 changed, order 4321 missing
                                     "post-cutover/rows identical",
                                     // orders_id_seq left at 100 on the target
                                     "post-cutover/schema and sequences migrated",
                                     // so the next order's id is taken
                                     "post-cutover/checkout works on the target",
                                     // item 77's stock in AMS did not reach PostgreSQL
                                     "inventory/inventory rows arrived in PostgreSQL",
                                 }))
      << result.out;
  for (const Json& check : results.at("checks")) {
    if (check.at("outcome") != "passed") {
      EXPECT_EQ(check.at("outcome"), "failed") << check.dump();
    }
  }
  const Json* checksum = find_check(results, "rows identical");
  ASSERT_NE(checksum, nullptr);
  const std::string details = checksum->at("details").get<std::string>();
  EXPECT_NE(details.find("id=1234"), std::string::npos) << details;
  EXPECT_NE(details.find("id=4321"), std::string::npos) << details;
}

// A copy of the binary, as a package or a user would move it, into `folder`/bin.
fs::path copy_binary(const fs::path& folder) {
  fs::create_directories(folder / "bin");
  const fs::path binary = folder / "bin" / "cutover";
  fs::copy_file(CUTOVER_BINARY, binary);
  return binary;
}

TEST(Demo, ACopiedBinaryWithNoSuitesBesideItSaysWhereItLookedAndExits2) {
  const TempDir dir;
  const fs::path binary = copy_binary(dir.path());
  const ProcessResult result = loopback::run_command({binary.string(), "demo"});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_NE(result.err.find("<prefix>/share/cutover/suites"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("--suites DIR"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("starting"), std::string::npos) << "nothing starts: " << result.out;
}

TEST(Demo, AnInstalledBinaryFindsTheSuitesInItsPrefix) {
  const TempDir dir;
  const fs::path binary = copy_binary(dir.path());
  const fs::path installed = dir.path() / "share" / "cutover" / "suites";
  fs::create_directories(installed.parent_path());
  fs::copy(fs::path(CUTOVER_SOURCE_DIR) / "suites", installed, fs::copy_options::recursive);
  const fs::path out = dir.path() / "reports";
  const ProcessResult result =
      loopback::run_command({binary.string(), "demo", "--out", out.string()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("suites      " + installed.string() + "/{pre-cutover"),
            std::string::npos)
      << result.out;
}

TEST(Demo, SuitesNamesTheirFolder) {
  const TempDir dir;
  const fs::path binary = copy_binary(dir.path());
  const ProcessResult missing =
      loopback::run_command({binary.string(), "demo", "--suites", (dir.path() / "none").string()});
  EXPECT_EQ(missing.exit_code, 2) << missing.out << missing.err;
  EXPECT_NE(missing.err.find("pre-cutover.yaml"), std::string::npos) << missing.err;
}

// A copied binary inside someone's project must not take the project's own suites/ for the
// shipped ones: only <prefix>/share/cutover/suites and the build tree's suites/ count.
TEST(Demo, ACopiedBinaryDoesNotRunASuitesFolderAboveIt) {
  const TempDir dir;
  const fs::path project = dir.path() / "project";
  const fs::path binary = copy_binary(project);
  for (const char* file :
       {"pre-cutover.yaml", "sync.yaml", "post-cutover.yaml", "inventory.yaml"}) {
    dir.write("project/suites/" + std::string(file), "suite: mine\nchecks: []\n");
  }
  const ProcessResult result = loopback::run_command({binary.string(), "demo"});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_NE(result.err.find("--suites DIR"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("starting"), std::string::npos) << "nothing starts: " << result.out;
}

// The binary in the build tree finds the shipped suites relative to itself, wherever the build
// folder is (also outside the source tree); nothing names the source folder in the binary.
TEST(Demo, TheBuildTreeHoldsTheSuitesBesideTheBinary) {
  const fs::path beside = fs::path(CUTOVER_BINARY).parent_path() / "suites";
  EXPECT_TRUE(fs::is_regular_file(beside / "pre-cutover.yaml")) << beside;
  std::ifstream binary(CUTOVER_BINARY, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(binary)), {});
  EXPECT_EQ(bytes.find(std::string(CUTOVER_SOURCE_DIR) + "/suites"), std::string::npos);
}

// `cutover demo` with its stdout on a pipe, as in `cutover demo | head`.
class PipedDemo {
 public:
  PipedDemo(const fs::path& temp, const fs::path& out, const fs::path& err) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fds[1], STDOUT_FILENO);
      ::dup2(err_fd, STDERR_FILENO);
      ::signal(SIGPIPE, SIG_DFL);  // as a shell starts a pipeline's programs
      ::setenv("TMPDIR", temp.c_str(), 1);
      ::unsetenv("GITHUB_STEP_SUMMARY");
      ::execl(CUTOVER_BINARY, CUTOVER_BINARY, "demo", "--out", out.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(fds[1]);
    read_end_ = fds[0];
  }
  ~PipedDemo() {
    close_reading();
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  PipedDemo(const PipedDemo&) = delete;
  PipedDemo& operator=(const PipedDemo&) = delete;

  // Reads until the output holds `text` (true) or ends, or `timeout` passes (false).
  bool read_until(const std::string& text, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (output_.find(text) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd ready{read_end_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) <= 0) {
        return false;
      }
      char buffer[4096];
      const ssize_t got = ::read(read_end_, buffer, sizeof buffer);
      if (got <= 0) return false;
      output_.append(buffer, static_cast<std::size_t>(got));
    }
    return true;
  }

  void close_reading() {
    if (read_end_ >= 0) ::close(read_end_);
    read_end_ = -1;
  }

  // The exit code, or 128 + the signal that ended it; -1 when it is still running at `timeout`.
  int wait(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) != pid_) {
      if (std::chrono::steady_clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int read_end_ = -1;
  std::string output_;
};

// The processes whose command line names `text`.
std::vector<pid_t> processes_naming(const std::string& text) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string command = loopback::read_file(entry.path() / "cmdline");
    std::replace(command.begin(), command.end(), '\0', ' ');
    if (command.find(text) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

// No socket listens on the port (connections the demo's shutdown closed may linger in TIME_WAIT).
bool port_is_free(int port) {
  const int socket = ::socket(AF_INET, SOCK_STREAM, 0);
  const int reuse = 1;
  ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool bound = ::bind(socket, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(socket);
  return bound;
}

// `cutover demo | head`: the reader goes away early. The demo must not die of SIGPIPE with the
// PostgreSQL cluster still running: it stops the run, removes what it started and exits 130.
TEST(Demo, AClosedStdoutStopsTheDemoAndRemovesTheEnvironment) {
  const TempDir dir;
  const fs::path temp = dir.path() / "tmp";
  fs::create_directories(temp);
  fs::permissions(dir.path(), fs::perms(0755));  // the cluster runs as postgres when we are root
  fs::permissions(temp, fs::perms(0777));
  const fs::path err = dir.path() / "stderr";
  PipedDemo demo(temp, dir.path() / "reports", err);
  const std::regex database_port(
      "PostgreSQL  source and target databases on 127\\.0\\.0\\.1:(\\d+)");
  ASSERT_TRUE(demo.read_until("orders copied\n", std::chrono::seconds(120)))
      << demo.output() << loopback::read_file(err);
  std::smatch port;
  ASSERT_TRUE(std::regex_search(demo.output(), port, database_port)) << demo.output();
  demo.close_reading();

  const int code = demo.wait(std::chrono::seconds(120));
  const std::string said = loopback::read_file(err);
  EXPECT_EQ(code, 130) << "141 is death by SIGPIPE; stderr: " << said;
  EXPECT_NE(said.find("cutover demo: standard output was closed; stopping, and removing the "
                      "environment\n"),
            std::string::npos)
      << said;
  EXPECT_TRUE(processes_naming(temp.string()).empty()) << "a server of the demo still runs";
  EXPECT_TRUE(port_is_free(std::stoi(port[1]))) << "port " << port[1] << " is still held";
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(temp))
    left.push_back(entry.path().string());
  EXPECT_EQ(left, std::vector<std::string>{}) << "the demo's temp folders are left behind";

  // What a broken demo left running, so that it does not outlive the test.
  for (const pid_t pid : processes_naming(temp.string()))
    ::kill(pid, SIGKILL);
}

}  // namespace
}  // namespace cutover
