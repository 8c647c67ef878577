// The program at a terminal: a pseudo-terminal stands in for the user's, so what a person sees
// (the echoed "^C", the progress line) is what the test reads.
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "loopback/tcp_servers.hpp"
#include "loopback/temp_dir.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;

// cutover run under a pseudo-terminal of its own, killed at the end of the test if still there.
class TerminalRun {
 public:
  explicit TerminalRun(const std::string& suite) {
    child_ = ::forkpty(&terminal_, nullptr, nullptr, nullptr);
    if (child_ == 0) {
      ::execl(CUTOVER_BINARY, CUTOVER_BINARY, "run", suite.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~TerminalRun() {
    if (child_ > 0 && ::waitpid(child_, nullptr, WNOHANG) == 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    if (terminal_ >= 0) ::close(terminal_);
  }
  TerminalRun(const TerminalRun&) = delete;
  TerminalRun& operator=(const TerminalRun&) = delete;

  bool started() const { return child_ > 0; }

  // Reads what the terminal shows until it holds `text` (true) or the program ends or `limit`
  // passes (false).
  bool read_until(const std::string& text, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (screen.find(text) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return false;
      pollfd ready{terminal_, POLLIN, 0};
      if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t got = ::read(terminal_, buffer, sizeof buffer);
      if (got <= 0) return false;  // EIO: the program ended and closed the terminal
      screen.append(buffer, static_cast<std::size_t>(got));
    }
    return true;
  }

  // Types at the terminal, as a user would.
  void type(const std::string& keys) {
    ASSERT_EQ(::write(terminal_, keys.data(), keys.size()), static_cast<ssize_t>(keys.size()));
  }

  std::string screen;  // everything the terminal showed

 private:
  int terminal_ = -1;
  pid_t child_ = -1;
};

// Ctrl-C during a long retry: the terminal echoes "^C" where the cursor is, at the end of the
// progress line; the notice must start a line of its own, not run on after it.
TEST(CliTerminal, TheInterruptNoticeStartsOnALineOfItsOwn) {
  loopback::TempDir dir;
  loopback::UnansweringServer silent;
  const std::string suite =
      dir.write("wait.yaml",
                "suite: s\nchecks:\n  - { name: stuck, kind: tcp, host: 127.0.0.1, port: " +
                    std::to_string(silent.port()) + ", timeout: 1m }\n")
          .string();
  TerminalRun run(suite);
  ASSERT_TRUE(run.started());
  ASSERT_TRUE(run.read_until("1 running: stuck", 10s)) << run.screen;
  run.type("\x03");
  ASSERT_TRUE(run.read_until("cutover: interrupted", 10s)) << run.screen;
  const std::string before = run.screen.substr(0, run.screen.find("cutover: interrupted"));
  EXPECT_TRUE(before.ends_with("\n")) << run.screen;
  EXPECT_NE(before.find("^C"), std::string::npos) << run.screen;  // the echo is there, above
}

}  // namespace
}  // namespace cutover
