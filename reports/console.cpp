#include "reports/console.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>

#include <fmt/format.h>

#include "harness/text.hpp"
#include "reports/outcome_label.hpp"

namespace cutover {
namespace {

constexpr std::string_view kGreen = "\x1b[32m";
constexpr std::string_view kRed = "\x1b[31m";
constexpr std::string_view kYellow = "\x1b[33m";
constexpr std::string_view kDim = "\x1b[2m";
constexpr std::string_view kBoldGreen = "\x1b[1;32m";
constexpr std::string_view kBoldRed = "\x1b[1;31m";
constexpr std::string_view kReset = "\x1b[0m";
// Back to the start of the line and erase it, so what follows replaces the progress line.
constexpr std::string_view kEraseLine = "\r\x1b[2K";

constexpr std::size_t kStatusWidth = 5;  // "ERROR"
constexpr std::size_t kSlowest = 5;
constexpr std::string_view kIndent = "    ";

std::string_view status_colour(Outcome outcome) {
  switch (outcome) {
    case Outcome::passed:
      return kGreen;
    case Outcome::failed:
    case Outcome::error:
      return kRed;
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

std::string measurement_text(const Measurement& measurement) {
  return fmt::format("{}={}{}{}", measurement.name, measurement.value,
                     measurement.unit.empty() ? "" : " ", measurement.unit);
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
  if (settings_.live_progress) {
    print("");
  }
}

void ConsoleReporter::check_started(const PlannedCheck& check) {
  // Only the progress line counts the checks running.
  if (settings_.live_progress) {
    running_.emplace(check.suite, check.name);
    print("");
  }
}

void ConsoleReporter::check_finished(const PlannedCheck& check, const Result& result) {
  ++finished_;
  ++counts_[result.outcome];
  if (settings_.live_progress) {
    running_.erase({check.suite, check.name});
  }
  if (result.outcome != Outcome::skipped) {
    note_timing(check, result.duration);
  }

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
    if (result.attempts.size() > 1) {
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
  print(text);
}

void ConsoleReporter::run_finished(const RunInfo&, const RunSummary& summary) {
  stop_flusher();  // the summary is written and flushed from here on, on this thread alone
  if (settings_.live_progress) {
    out_ << kEraseLine;
  }
  if (printed_) {
    out_ << "\n";
  }

  out_ << fmt::format("{} check{}: {} passed, {} failed, {} error, {} skipped", summary.total(),
                      summary.total() == 1 ? "" : "s", summary.count(Outcome::passed),
                      summary.count(Outcome::failed), summary.count(Outcome::error),
                      summary.count(Outcome::skipped));
  if (summary.flaky > 0) {
    out_ << fmt::format("; {} flaky (passed after retries)", summary.flaky);
  }
  out_ << "\n";

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
    out_ << fmt::format("[{}/{}] {} passed, {} failed, {} error, {} skipped, {} running", finished_,
                        selected_, counts_[Outcome::passed], counts_[Outcome::failed],
                        counts_[Outcome::error], counts_[Outcome::skipped], running_.size());
    out_.flush();
    return;
  }
  if (!dirty_) {
    dirty_ = true;
    wake_.notify_one();
  }
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
