#include "reports/console.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "harness/text.hpp"
#include "reports/measurement_text.hpp"
#include "reports/outcome_label.hpp"
#include "reports/summary_line.hpp"

namespace cutover {
namespace {

constexpr std::string_view kGreen = "\x1b[32m";
constexpr std::string_view kRed = "\x1b[31m";
constexpr std::string_view kYellow = "\x1b[33m";
constexpr std::string_view kMagenta = "\x1b[35m";
constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kDim = "\x1b[2m";
constexpr std::string_view kBoldGreen = "\x1b[1;32m";
constexpr std::string_view kBoldRed = "\x1b[1;31m";
constexpr std::string_view kReset = "\x1b[0m";
// Back to the start of the line and erase it, so what follows replaces the progress line.
constexpr std::string_view kEraseLine = "\r\x1b[2K";

constexpr std::size_t kStatusWidth = 5;  // "ERROR"
constexpr std::size_t kSlowest = 5;
constexpr std::size_t kShownRunning = 3;  // checks the progress line names, oldest first
constexpr std::size_t kDefaultWidth = 80;
constexpr std::string_view kIndent = "    ";

std::string_view status_colour(Outcome outcome) {
  switch (outcome) {
    case Outcome::passed:
      return kGreen;
    case Outcome::failed:
      return kRed;
    case Outcome::error:  // could not be carried out: told apart from a failed assertion
      return kMagenta;
    case Outcome::skipped:
      return kYellow;
  }
  return {};
}

// Rounded for reading ("12ms", "2.0s", "1m05s"); the file reports carry exact values.
std::string short_duration(Duration duration) {
  const std::int64_t nanoseconds = std::max<std::int64_t>(duration.count(), 0);
  const std::int64_t milliseconds = (nanoseconds + 500'000) / 1'000'000;
  if (milliseconds < 1000) {
    return fmt::format("{}ms", milliseconds);
  }
  const std::int64_t tenths = (nanoseconds + 50'000'000) / 100'000'000;
  if (tenths < 600) {
    return fmt::format("{}.{}s", tenths / 10, tenths % 10);
  }
  const std::int64_t seconds = (nanoseconds + 500'000'000) / 1'000'000'000;
  return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
}

// Whether one_line(text) is `text` itself: printable ASCII with no trailing space (one_line
// keeps such text as it is). Most messages are, and need no copy.
bool is_one_line(std::string_view text) {
  return !text.ends_with(' ') &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// Time left of a retry: "1h52m", "3m05s", "42s" (rounded down).
std::string time_left(Duration left) {
  const std::int64_t seconds =
      std::max<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(left).count(), 0);
  if (seconds >= 3600) return fmt::format("{}h{:02}m", seconds / 3600, seconds % 3600 / 60);
  if (seconds >= 60) return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
  return fmt::format("{}s", seconds);
}

// At most `columns` characters (UTF-8 code points), ending in "..." when cut: a progress line
// wider than the terminal wraps, and "\r" then rewrites only its last row.
void cut_to_columns(std::string& text, std::size_t columns) {
  std::size_t count = 0;
  std::size_t keep = text.size();  // bytes of the first columns - 3 characters
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // a continuation byte
    if (count == columns - std::min<std::size_t>(columns, 3)) keep = std::min(keep, i);
    if (++count > columns) {
      text.resize(keep);
      text.append(std::min<std::size_t>(columns, 3), '.');
      return;
    }
  }
}

}  // namespace

constexpr std::chrono::milliseconds kFlushInterval{100};

ConsoleReporter::ConsoleReporter(const ConsoleSettings& settings)
    : out_(settings.out != nullptr ? *settings.out : std::cout), settings_(settings) {
  if (!settings_.live_progress) flusher_ = std::thread([this] { flush_loop(); });
}

ConsoleReporter::~ConsoleReporter() {
  stop_flusher();
}

void ConsoleReporter::flush_loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return dirty_ || stopping_; });
    if (stopping_) return;
    // Lines written in the meantime go out together.
    wake_.wait_for(lock, kFlushInterval, [this] { return stopping_; });
    out_.flush();
    dirty_ = false;
  }
}

void ConsoleReporter::stop_flusher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (flusher_.joinable()) flusher_.join();
}

void ConsoleReporter::run_started(const RunInfo& info) {
  selected_ = info.selected_checks;
  show_suite_ = info.suites.size() > 1;
  show_phases_ = info.phases.size() > 1 && settings_.verbosity != Verbosity::quiet;
  if (settings_.live_progress) {
    print("");
  }
}

void ConsoleReporter::phase_started(const std::string& phase, std::size_t checks) {
  if (!show_phases_) return;
  std::string text = printed_ ? "\n" : "";
  append_painted(text, fmt::format("Phase {} ({} check{})", phase, checks, checks == 1 ? "" : "s"),
                 kBold);
  text += "\n";
  print(text);
}

void ConsoleReporter::check_started(const PlannedCheck& check) {
  // Only the progress line shows the checks running.
  if (settings_.live_progress) {
    Running running;
    append_display_name(running.name, check);
    running.allowed = static_cast<std::size_t>(std::max(check.retry.attempts, 1));
    running_order_[{check.suite, check.name}] = starts_;
    running_.emplace(starts_++, std::move(running));
    print("");
  }
}

void ConsoleReporter::attempt_finished(const PlannedCheck& check, const Attempt& attempt,
                                       const AttemptProgress& progress) {
  // The last attempt is the check's result, which check_finished prints next.
  if (!progress.retrying) return;
  if (settings_.live_progress) {
    if (const auto order = running_order_.find({check.suite, check.name});
        order != running_order_.end()) {
      Running& running = running_.at(order->second);
      running.attempts = progress.number;
      running.give_up_at = progress.give_up_at;
      running.reason = one_line(attempt.message);
    }
  }
  if (settings_.verbosity == Verbosity::verbose) {
    retried_.emplace(check.suite, check.name);
    print(retry_line(check, attempt, progress));
  } else if (settings_.live_progress) {
    print("");
  }
}

std::string ConsoleReporter::retry_line(const PlannedCheck& check, const Attempt& attempt,
                                        const AttemptProgress& progress) const {
  std::string text;
  append_painted(text, "RETRY", kDim);
  text += ' ';
  append_display_name(text, check);
  const std::string_view word = outcome_label(attempt.outcome);
  text += ": attempt " + std::to_string(progress.number) + " ";
  append_painted(text, word, status_colour(attempt.outcome));
  text += " (" + short_duration(attempt.duration) + "), ";
  if (progress.give_up_at) {
    text += time_left(*progress.give_up_at - std::chrono::steady_clock::now()) + " left";
  } else {
    const std::size_t allowed = static_cast<std::size_t>(std::max(check.retry.attempts, 1));
    const std::size_t left = allowed - std::min(allowed, progress.number);
    text += fmt::format("{} attempt{} left", left, left == 1 ? "" : "s");
  }
  if (const std::string message = one_line(attempt.message); !message.empty()) {
    text += ": " + message;
  }
  return text + "\n";
}

void ConsoleReporter::check_finished(const PlannedCheck& check, const Result& result) {
  ++finished_;
  ++counts_[result.outcome];
  if (settings_.live_progress) {
    if (const auto order = running_order_.find({check.suite, check.name});
        order != running_order_.end()) {
      running_.erase(order->second);
      running_order_.erase(order);
    }
  }
  if (result.outcome != Outcome::skipped) {
    note_timing(check, result.duration);
  }
  const bool attempts_printed = retried_.erase({check.suite, check.name}) > 0;

  const bool problem = result.outcome == Outcome::failed || result.outcome == Outcome::error;
  if (settings_.verbosity == Verbosity::quiet && !problem) {
    print("");
    return;
  }

  const std::string_view word = outcome_label(result.outcome);
  std::string& text = line_;
  text.clear();
  append_painted(text, word, status_colour(result.outcome));
  text.append(kStatusWidth - word.size() + 1, ' ');
  append_display_name(text, check);
  if (result.outcome != Outcome::skipped) {
    text += " (";
    text += short_duration(result.duration);
    if (result.attempts.size() > 1) {
      text += fmt::format(", {} attempts", result.attempts.size());
    }
    text += ")";
  }
  if (is_one_line(result.message)) {
    if (!result.message.empty()) {
      text += ": ";
      text += result.message;
    }
  } else if (const std::string message = one_line(result.message); !message.empty()) {
    text += ": " + message;
  }
  text += "\n";

  if (settings_.verbosity == Verbosity::verbose) {
    append_verbose(text, result, attempts_printed);
  }
  print(text);
}

void ConsoleReporter::append_verbose(std::string& text, const Result& result,
                                     bool attempts_printed) const {
  if (result.attempts.size() > 1 && !attempts_printed) {
    for (std::size_t i = 0; i < result.attempts.size(); ++i) {
      const Attempt& attempt = result.attempts[i];
      text += fmt::format("{}attempt {}: {} ({})", kIndent, i + 1, outcome_label(attempt.outcome),
                          short_duration(attempt.duration));
      if (const std::string message = one_line(attempt.message); !message.empty()) {
        text += ": " + message;
      }
      text += "\n";
    }
  }
  const std::string details = clean_text(result.details);
  std::string_view rest = details;
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find('\n'), rest.size());
    std::string_view line = rest.substr(0, end);
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    text += paint(std::string(kIndent) + std::string(line), kDim) + "\n";
    rest.remove_prefix(std::min(end + 1, rest.size()));
  }
  for (const Measurement& measurement : result.measurements) {
    text += std::string(kIndent) + measurement_text(measurement) + "\n";
  }
}

void ConsoleReporter::run_finished(const RunInfo&, const RunSummary& summary) {
  stop_flusher();  // the summary is written and flushed from here on, on this thread alone
  if (settings_.live_progress) {
    out_ << kEraseLine;
  }
  if (printed_) {
    out_ << "\n";
  }

  out_ << summary_line(summary) << "\n";

  if (!timings_.empty()) {
    const std::size_t shown = std::min(timings_.size(), kSlowest);
    std::vector<std::string> durations;
    std::size_t width = 0;
    for (std::size_t i = 0; i < shown; ++i) {
      durations.push_back(short_duration(timings_[i].second));
      width = std::max(width, durations.back().size());
    }
    out_ << "Slowest:\n";
    for (std::size_t i = 0; i < shown; ++i) {
      out_ << fmt::format("  {:>{}}  {}\n", durations[i], width, timings_[i].first);
    }
  }

  out_ << "Wall time: " << short_duration(summary.duration) << "\n";
  if (summary.interrupted) {
    out_ << "Interrupted: the run stopped before every check finished\n";
  }
  if (summary.all_passed() && !summary.interrupted) {
    out_ << paint("PASSED", kBoldGreen) << "\n";
  } else {
    out_ << paint("FAILED", kBoldRed) << "\n";
  }
  out_.flush();
}

void ConsoleReporter::print(std::string_view text) {
  if (text.empty() && !settings_.live_progress) return;  // nothing to write or redraw
  std::lock_guard lock(mutex_);
  if (settings_.live_progress) {
    out_ << kEraseLine;
  }
  out_ << text;
  printed_ = printed_ || !text.empty();
  if (settings_.live_progress) {
    out_ << progress_line();
    out_.flush();
    return;
  }
  if (!dirty_) {
    dirty_ = true;
    wake_.notify_one();
  }
}

std::string ConsoleReporter::progress_line() const {
  const auto count = [this](Outcome outcome) {
    const auto it = counts_.find(outcome);
    return it == counts_.end() ? 0 : it->second;
  };
  std::string line =
      fmt::format("[{}/{}] {} passed, {} failed, {} error, {} skipped, {} running", finished_,
                  selected_, count(Outcome::passed), count(Outcome::failed), count(Outcome::error),
                  count(Outcome::skipped), running_.size());
  if (!running_.empty()) {
    std::vector<std::string> names;
    const auto now = std::chrono::steady_clock::now();
    for (const auto& [order, running] : running_) {
      if (names.size() == kShownRunning) break;
      std::string name = running.name;
      if (running.attempts > 0) {
        // The attempt running now, or waiting for the retry interval to pass.
        const std::size_t next = running.attempts + 1;
        name += running.give_up_at ? fmt::format(" (attempt {}, {} left", next,
                                                 time_left(*running.give_up_at - now))
                                   : fmt::format(" (attempt {} of {}", next, running.allowed);
        name += running.reason.empty() ? ")" : ": " + running.reason + ")";
      }
      names.push_back(std::move(name));
    }
    names.resize(running_.size());  // for join_first's "and N more"
    line += ": " + join_first(names, kShownRunning);
  }
  cut_to_columns(line, width() - 1);  // the last column would leave the cursor past the line
  return line;
}

std::size_t ConsoleReporter::width() const {
  if (settings_.width > 0) return settings_.width;
  // Asked at each redraw: the window may have been resized.
  winsize size{};
  if (&out_ == &std::cout && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col;
  }
  if (const char* columns = std::getenv("COLUMNS"); columns != nullptr) {
    const long value = std::strtol(columns, nullptr, 10);
    if (value > 0) return static_cast<std::size_t>(value);
  }
  return kDefaultWidth;
}

void ConsoleReporter::note_timing(const PlannedCheck& check, Duration duration) {
  // Where a stable sort by duration, longest first, would put it: after every check at least as
  // slow. A check that would land past the kSlowest shown is not kept.
  const auto place = std::find_if(timings_.begin(), timings_.end(), [duration](const auto& timing) {
    return timing.second < duration;
  });
  if (place - timings_.begin() >= static_cast<std::ptrdiff_t>(kSlowest)) return;
  std::string name;
  append_display_name(name, check);
  timings_.emplace(place, std::move(name), duration);
  if (timings_.size() > kSlowest) {
    timings_.pop_back();
  }
}

void ConsoleReporter::append_display_name(std::string& out, const PlannedCheck& check) const {
  if (show_suite_) {
    out += check.suite;
    out += '/';
  }
  out += check.name;
}

void ConsoleReporter::append_painted(std::string& out, std::string_view text,
                                     std::string_view colour) const {
  if (!settings_.color) {
    out += text;
    return;
  }
  out += colour;
  out += text;
  out += kReset;
}

std::string ConsoleReporter::paint(std::string_view text, std::string_view colour) const {
  if (!settings_.color) {
    return std::string(text);
  }
  return fmt::format("{}{}{}", colour, text, kReset);
}

}  // namespace cutover
