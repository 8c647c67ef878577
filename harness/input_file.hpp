#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "harness/expected.hpp"

namespace cutover {

// Why a file was not read, in words that follow "cannot open FILE: " ("No such file or
// directory", "it is a directory", "it is a character device, not a regular file", "it is over
// the 16 MiB limit").
struct InputError {
  std::string message;
  bool missing = false;     // nothing has that name
  bool over_limit = false;  // it holds more than max_bytes
  bool directory = false;   // it is a directory
};

// The text of the regular file `path`, never more than `max_bytes`: the size is counted as the
// bytes arrive, as /proc files report none. Anything else (a directory, a device, a FIFO) is
// refused before a byte is read, without blocking: /dev/zero never ends, and a FIFO without a
// writer waits for ever.
Expected<std::string, InputError> read_input_file(const std::filesystem::path& path,
                                                  std::uint64_t max_bytes);

// All of standard input, never more than `max_bytes` (a suite named "-").
Expected<std::string, InputError> read_standard_input(std::uint64_t max_bytes);

// What a file of type `mode` (st_mode) is, for messages: "a directory", "a character device",
// "a block device", "a FIFO (named pipe)", "a socket"; "not a file" for anything else.
std::string_view file_type_text(unsigned mode);

// A size as people read it: "16 MiB", "512 KiB", "1000 bytes" (whole units only).
std::string byte_size_text(std::uint64_t bytes);

}  // namespace cutover
