#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/expected.hpp"

namespace cutover {

// How a file cutover writes (a report) gets to where its path points (STYLE 28).
enum class OutputKind {
  // "-", or a path that names the file standard output already is (/dev/stdout, /proc/self/fd/1,
  // the file a shell redirected stdout to): written through standard output, in place.
  standard_output,
  // A regular file or a new path: written to a temporary file beside it, flushed to disk and
  // renamed over it, so that a reader never sees half a report.
  replace,
  // A character device or a FIFO (/dev/null, /dev/full, a named pipe): opened and written.
  in_place,
};

struct OutputTarget {
  OutputKind kind = OutputKind::replace;
  // What is replaced or opened: for a symbolic link, its final target, so the link stays.
  std::filesystem::path path;
};

// A file that could not be written: exit code 3, but no bug ("cannot write /dev/full: write: No
// space left on device").
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where output named `path` goes, or why nothing is written there: "it is a directory", "it is
// a socket", "it is a block device", or the system's reason ("Too many levels of symbolic links").
Expected<OutputTarget> output_target(const std::filesystem::path& path);

// The reports a command line asks for, as (format, path): "json" and "out.json". Whether one of
// them goes to standard output, or else the first mistake among them, naming its flag ("--json"):
// a path output_target refuses, or two reports that would write the same file (both "-", or "-"
// and /dev/stdout), since each would spoil the other.
Expected<bool> check_report_paths(
    const std::vector<std::pair<std::string, std::filesystem::path>>& reports);

// How messages name an output path: "standard output" for "-", else the path.
std::string output_display_name(const std::filesystem::path& path);

// Writes what `write` streams to `path` as output_target(path) says (creating missing parent
// folders for a new file). Throws OutputError naming the path when anything fails,
// writing included ("cannot write /dev/full: No space left on device").
void write_output_file(const std::filesystem::path& path,
                       const std::function<void(std::ostream&)>& write);

// The same for content already in memory.
void write_output_file(const std::filesystem::path& path, std::string_view content);

}  // namespace cutover
