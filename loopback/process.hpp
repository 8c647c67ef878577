#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "loopback/temp_dir.hpp"

namespace cutover::loopback {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};

// A child process with stdout and stderr captured to files, so a test can wait for output while
// it runs and signal it. The environment is the test's own without GITHUB_STEP_SUMMARY, plus
// `environment`.
class Process {
 public:
  Process(const std::vector<std::string>& arguments,
          const std::map<std::string, std::string>& environment = {},
          const std::filesystem::path& working_directory = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Polls stdout until it contains `text`; false after `timeout`.
  bool wait_for_output(std::string_view text, std::chrono::milliseconds timeout);

  void send_signal(int signal);

  // Waits for the exit (killing the child after `timeout`) and returns what it printed.
  ProcessResult wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  TempDir capture_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// Runs a program (`arguments[0]` is its full path) to the end.
ProcessResult run_command(const std::vector<std::string>& arguments);

}  // namespace cutover::loopback
