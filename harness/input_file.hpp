#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "harness/expected.hpp"

namespace cutover {

// Why a file was not read, in words that follow "cannot open FILE: " ("No such file or
// directory", "it is a directory", "it is a character device, not a regular file", "it is over
// the 16 MiB limit").
struct InputError {
  std::string message;
  bool missing = false;     // nothing has that name
  bool over_limit = false;  // it holds more than max_bytes
};

// The text of the regular file `path`, or all of standard input when `path` is "-", and never
// more than `max_bytes`: the size is counted as the bytes arrive, as /proc files report none.
// Anything else (a directory, a device, a FIFO) is refused before a byte is read, without
// blocking: /dev/zero never ends, and a FIFO without a writer waits for ever.
Expected<std::string, InputError> read_input_file(const std::filesystem::path& path,
                                                  std::uint64_t max_bytes);

// A size as people read it: "16 MiB", "512 KiB", "1000 bytes" (whole units only).
std::string byte_size_text(std::uint64_t bytes);

}  // namespace cutover
