#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "harness/reporter.hpp"

namespace cutover {

// Streams one line per finished check (only failures and errors when quiet; details, measured
// values and each attempt as it ends too when verbose), a heading per phase when there are
// several, keeps a progress line on terminals that names the oldest checks running, and ends
// with a summary and a PASSED/FAILED verdict. Writes to settings.out, or std::cout when null.
class ConsoleReporter : public Reporter {
 public:
  explicit ConsoleReporter(const ConsoleSettings& settings);
  ~ConsoleReporter() override;

  void run_started(const RunInfo& info) override;
  void phase_started(const std::string& phase, std::size_t checks) override;
  void check_started(const PlannedCheck& check) override;
  void attempt_finished(const PlannedCheck& check, const Attempt& attempt,
                        const AttemptProgress& progress) override;
  void check_finished(const PlannedCheck& check, const Result& result) override;
  void run_finished(const RunInfo& info, const RunSummary& summary) override;

 private:
  using CheckKey = std::pair<std::string, std::string>;  // (suite, name)

  // A check in flight, as the progress line shows it.
  struct Running {
    std::string name;                                                 // as displayed
    std::size_t attempts = 0;                                         // attempts ended so far
    std::size_t allowed = 1;                                          // retry: { attempts }
    std::optional<std::chrono::steady_clock::time_point> give_up_at;  // retry: { until }
    std::string reason;  // the last attempt's message, on one line
  };

  // Writes `text` (whole lines); with live progress, writes it over the progress line, draws
  // that again below (so print("") just redraws it) and flushes.
  void print(std::string_view text);

  // Without live progress, written lines reach the output within kFlushInterval from a thread
  // of the reporter's own, not by a flush after each line: a flush is a system call, and one
  // per check took a fifth of the run phase of 10,000 quick checks. A line still appears
  // promptly while a long check runs.
  void flush_loop();
  // "[3/9] 2 passed, ..., 2 running: www (attempt 14, 1h52m left: ...); db", cut to the width.
  std::string progress_line() const;
  std::size_t width() const;
  // "RETRY www: attempt 13 FAIL (1.2s), 1h52m left: ..." for an attempt another one follows.
  std::string retry_line(const PlannedCheck& check, const Attempt& attempt,
                         const AttemptProgress& progress) const;
  // The details, measured values and (unless printed as they ended) attempts of a result.
  void append_verbose(std::string& text, const Result& result, bool attempts_printed) const;
  void stop_flusher();
  // Keeps the kSlowest slowest checks for the summary, slowest first.
  void note_timing(const PlannedCheck& check, Duration duration);
  void append_display_name(std::string& out, const PlannedCheck& check) const;
  void append_painted(std::string& out, std::string_view text, std::string_view colour) const;
  std::string paint(std::string_view text, std::string_view colour) const;

  std::ostream& out_;
  ConsoleSettings settings_;
  bool show_suite_ = false;
  bool show_phases_ = false;  // a heading per phase, when the run has several
  bool printed_ = false;
  std::size_t selected_ = 0;
  std::size_t finished_ = 0;
  std::map<Outcome, std::size_t> counts_;
  // The checks running, for live progress: by start, oldest first, and where each one is.
  std::map<std::uint64_t, Running> running_;
  std::map<CheckKey, std::uint64_t> running_order_;
  std::uint64_t starts_ = 0;
  std::set<CheckKey> retried_;  // checks whose attempts were printed as they ended (-v)
  std::vector<std::pair<std::string, Duration>> timings_;  // the slowest checks that ran
  std::string line_;                                       // the line being written, reused

  std::mutex mutex_;  // out_, dirty_ and stopping_, shared with the flusher
  std::condition_variable wake_;
  bool dirty_ = false;  // written, not flushed yet
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace cutover
