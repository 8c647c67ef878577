#pragma once

#include <filesystem>
#include <string_view>

namespace cutover {

// Writes `content` to a temporary file beside `path`, flushes it to disk and renames it over
// `path`, so a reader never sees half a report, even when the run is killed while writing.
// Creates missing parent folders. Throws std::runtime_error naming the path on failure.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace cutover
