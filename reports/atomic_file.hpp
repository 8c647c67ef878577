#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string_view>

namespace cutover {

// Writes `content` to a temporary file beside `path`, flushes it to disk and renames it over
// `path`, so a reader never sees half a report, even when the run is killed while writing.
// Creates missing parent folders. Throws std::runtime_error naming the path on failure.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

// The same for content that `write` streams, so a large report need not be built in memory.
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write);

}  // namespace cutover
