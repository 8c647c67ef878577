#pragma once

#include <condition_variable>
#include <cstddef>
#include <iosfwd>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "harness/reporter.hpp"

namespace cutover {

// Streams one line per finished check (only failures and errors when quiet; details, measured
// values and attempts too when verbose), keeps a progress line on terminals, and ends with a
// summary and a PASSED/FAILED verdict. Writes to settings.out, or std::cout when it is null.
class ConsoleReporter : public Reporter {
 public:
  explicit ConsoleReporter(const ConsoleSettings& settings);
  ~ConsoleReporter() override;

  void run_started(const RunInfo& info) override;
  void check_started(const PlannedCheck& check) override;
  void check_finished(const PlannedCheck& check, const Result& result) override;
  void run_finished(const RunInfo& info, const RunSummary& summary) override;

 private:
  // Writes `text` (whole lines); with live progress, writes it over the progress line, draws
  // that again below (so print("") just redraws it) and flushes.
  void print(std::string_view text);

  // Without live progress, written lines reach the output within kFlushInterval from a thread
  // of the reporter's own, not by a flush after each line: a flush is a system call, and one
  // per check took a fifth of the run phase of 10,000 quick checks. A line still appears
  // promptly while a long check runs.
  void flush_loop();
  void stop_flusher();
  // Keeps the kSlowest slowest checks for the summary, slowest first.
  void note_timing(const PlannedCheck& check, Duration duration);
  void append_display_name(std::string& out, const PlannedCheck& check) const;
  void append_painted(std::string& out, std::string_view text, std::string_view colour) const;
  std::string paint(std::string_view text, std::string_view colour) const;

  std::ostream& out_;
  ConsoleSettings settings_;
  bool show_suite_ = false;
  bool printed_ = false;
  std::size_t selected_ = 0;
  std::size_t finished_ = 0;
  std::map<Outcome, std::size_t> counts_;
  std::set<std::pair<std::string, std::string>> running_;  // (suite, name), for live progress
  std::vector<std::pair<std::string, Duration>> timings_;  // the slowest checks that ran
  std::string line_;                                       // the line being written, reused

  std::mutex mutex_;  // out_, dirty_ and stopping_, shared with the flusher
  std::condition_variable wake_;
  bool dirty_ = false;  // written, not flushed yet
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace cutover
