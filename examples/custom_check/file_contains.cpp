#include "file_contains.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "harness/text.hpp"

namespace cutover::examples {

namespace detail {

struct FileContainsTarget {
  std::filesystem::path path;
  std::string pattern;
  std::optional<std::regex> regex;  // with match: regex
  bool expect_present = true;
  std::string label;  // the pattern as messages quote it: "db-old" or regex "^host = db-new$"
};

}  // namespace detail

namespace {

namespace asio = boost::asio;
using detail::FileContainsTarget;

constexpr std::size_t kEvidenceLines = 10;  // matching lines quoted in the details
constexpr std::size_t kQuoteLimit = 200;    // bytes of a matching line quoted

// What one read of the file found.
struct Scan {
  std::size_t lines = 0;
  std::size_t matches = 0;
  std::size_t first_match = 0;  // line number, from 1
  std::string first_text;
  std::string evidence;  // "line 12: host = db-old.internal", one per matching line, the first few
};

std::string count_lines(std::size_t count) {
  return fmt::format("{} line{}", count, count == 1 ? "" : "s");
}

bool line_matches(const FileContainsTarget& target, const std::string& line) {
  if (target.regex) return std::regex_search(line, *target.regex);
  return line.find(target.pattern) != std::string::npos;
}

CheckResult verdict(const FileContainsTarget& target, const Scan& scan) {
  const std::string file = target.path.string();
  CheckResult result;
  if (scan.matches == 0) {
    result = target.expect_present
                 ? CheckResult::failed(fmt::format("expected {} in {}, not found in {}",
                                                   target.label, file, count_lines(scan.lines)))
                 : CheckResult::passed(fmt::format("no {} in {} ({})", target.label, file,
                                                   count_lines(scan.lines)));
  } else if (target.expect_present) {
    result = CheckResult::passed(
        fmt::format("found {} on line {} of {}", target.label, scan.first_match, file));
  } else {
    result = CheckResult::failed(fmt::format("expected no {} in {}, found on {}, first line {}: {}",
                                             target.label, file, count_lines(scan.matches),
                                             scan.first_match, scan.first_text));
  }
  result.details = scan.evidence;
  if (scan.matches > kEvidenceLines)
    result.details += fmt::format("... and {} more\n", count_lines(scan.matches - kEvidenceLines));
  result.measurements = {{"lines", static_cast<double>(scan.lines), ""},
                         {"matching_lines", static_cast<double>(scan.matches), ""}};
  return result;
}

// Runs on the blocking pool. Nothing can interrupt a read that blocks (a hung NFS mount, a FIFO
// nobody writes to): the scheduler's watchdog reports the timeout meanwhile, and the read stops
// at the next line once `stop` is set.
CheckResult scan_file(const FileContainsTarget& target, const std::atomic<bool>& stop) {
  const std::string file = target.path.string();
  // A read queued behind stuck ones may start after its attempt ended.
  if (stop.load()) return CheckResult::error(fmt::format("cancelled before reading {}", file));

  std::error_code ec;
  if (std::filesystem::is_directory(target.path, ec))
    return CheckResult::error(fmt::format("expected a file, {} is a directory", file));
  std::ifstream stream(target.path);
  if (!stream)
    return CheckResult::error(fmt::format("could not open {}: {}", file, std::strerror(errno)));

  Scan scan;
  std::string line;
  while (std::getline(stream, line)) {
    if (stop.load()) {
      return CheckResult::error(
          fmt::format("cancelled after reading {} of {}", count_lines(scan.lines), file));
    }
    ++scan.lines;
    if (!line_matches(target, line)) continue;
    if (++scan.matches == 1) {
      scan.first_match = scan.lines;
      scan.first_text = shorten(line, kQuoteLimit);
    }
    if (scan.matches <= kEvidenceLines)
      scan.evidence += fmt::format("line {}: {}\n", scan.lines, shorten(line, kQuoteLimit));
  }
  if (stream.bad()) {
    return CheckResult::error(fmt::format("could not read {} after {}: {}", file,
                                          count_lines(scan.lines), std::strerror(errno)));
  }
  return verdict(target, scan);
}

}  // namespace

KindSpec FileContainsCheck::spec() {
  return {
      .description =
          "Reads a text file and checks that a line contains a pattern, or that no "
          "line does.",
      .fields =
          {
              {.name = "path",
               .required = true,
               .description = "File to read on the machine that runs cutover; a relative path "
                              "starts from the working directory",
               .non_empty = true},
              {.name = "pattern",
               .required = true,
               .description = "Text to look for within each line, or a regular expression with "
                              "match: regex",
               .non_empty = true},
              {.name = "match",
               .type = FieldType::choice,
               .description = "text: the pattern is plain text. regex: an ECMAScript regular "
                              "expression, searched for in each line",
               .choices = {"text", "regex"},
               .default_value = "text"},
              {.name = "expect",
               .type = FieldType::choice,
               .description = "present: some line matches. absent: no line matches",
               .choices = {"present", "absent"},
               .default_value = "present"},
          },
  };
}

// The loader has checked what spec() declares (required, non-empty, choices); the constructor
// adds what a declaration cannot say: whether the pattern is a valid regular expression. Whether
// the file exists is for the run to find out: suites are often checked with --dry-run on a
// machine that does not have it.
FileContainsCheck::FileContainsCheck(Fields& fields) {
  auto target = std::make_shared<detail::FileContainsTarget>();

  target->path = fields.string("path");
  target->pattern = fields.string("pattern");

  const bool regex = fields.string("match", "text") == "regex";
  if (regex) {
    try {
      target->regex.emplace(target->pattern);
    } catch (const std::regex_error& e) {
      fields.error("pattern", fmt::format("expected a regular expression, got \"{}\": {}",
                                          target->pattern, e.what()));
    }
  }
  target->label = fmt::format("{}\"{}\"", regex ? "regex " : "", target->pattern);
  target->expect_present = fields.string("expect", "present") == "present";

  target_ = std::move(target);
}

FileContainsCheck::~FileContainsCheck() = default;

void FileContainsCheck::start(CheckContext& context, Completion done) {
  auto stop = std::make_shared<std::atomic<bool>>(false);
  context.cancellation->on_cancel([stop] { stop->store(true); });
  asio::post(context.blocking,
             [target = target_, stop, &io = context.io, done = std::move(done)]() mutable {
               CheckResult result;
               // An exception must not escape into the pool's thread, where it would end the
               // process.
               try {
                 result = scan_file(*target, *stop);
               } catch (const std::exception& e) {
                 result = CheckResult::error(
                     fmt::format("could not search {}: {}", target->path.string(), e.what()));
               }
               // The scheduler expects the answer on the event loop; after a timeout it ignores it.
               asio::post(io, [done = std::move(done), result = std::move(result)]() mutable {
                 done(std::move(result));
               });
             });
}

std::string FileContainsCheck::describe() const {
  return fmt::format("{} expect {} {}", target_->path.string(),
                     target_->expect_present ? "present" : "absent", target_->label);
}

}  // namespace cutover::examples
