#include "harness/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace cutover {
namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;

InputError system_error(int error) {
  return InputError{.message = std::strerror(error), .missing = error == ENOENT};
}

// Why a file of this type is not read: "it is a directory".
InputError not_regular(mode_t mode) {
  if (S_ISDIR(mode)) return InputError{.message = "it is a directory", .directory = true};
  return InputError{fmt::format("it is {}, not a regular file", file_type_text(mode))};
}

// Reads `fd` to its end, stopping as soon as it holds more than `max_bytes`.
Expected<std::string, InputError> read_bounded(int fd, std::uint64_t max_bytes,
                                               std::uint64_t expected_size) {
  std::string text;
  text.reserve(static_cast<std::size_t>(std::min(expected_size, max_bytes)));
  char chunk[kChunkBytes];
  for (;;) {
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return system_error(errno);
    if (got == 0) return outcome::success(std::move(text));
    if (text.size() + static_cast<std::size_t>(got) > max_bytes) {
      return InputError{
          .message = fmt::format("it is over the {} limit", byte_size_text(max_bytes)),
          .over_limit = true};
    }
    text.append(chunk, static_cast<std::size_t>(got));
  }
}

// Closes the descriptor when it goes.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Expected<std::string, InputError> read_input_file(const std::filesystem::path& path,
                                                  std::uint64_t max_bytes) {
  // stat first, so that opening never touches a device; fstat after, in case the path changed.
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return system_error(errno);
  if (!S_ISREG(status.st_mode)) return not_regular(status.st_mode);
  // O_NONBLOCK: were it swapped for a FIFO in between, the open must not wait for a writer.
  const Descriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (file.fd < 0) return system_error(errno);
  if (::fstat(file.fd, &status) != 0) return system_error(errno);
  if (!S_ISREG(status.st_mode)) return not_regular(status.st_mode);
  return read_bounded(file.fd, max_bytes, static_cast<std::uint64_t>(status.st_size));
}

Expected<std::string, InputError> read_standard_input(std::uint64_t max_bytes) {
  struct stat status {};
  if (::fstat(STDIN_FILENO, &status) != 0) {
    return InputError{fmt::format("standard input: {}", std::strerror(errno))};
  }
  // Anything that streams is fine here: the user chose what to connect (a pipe, a terminal).
  if (S_ISDIR(status.st_mode)) return not_regular(status.st_mode);
  return read_bounded(STDIN_FILENO, max_bytes, static_cast<std::uint64_t>(status.st_size));
}

std::string_view file_type_text(unsigned mode) {
  return S_ISDIR(mode)    ? "a directory"
         : S_ISCHR(mode)  ? "a character device"
         : S_ISBLK(mode)  ? "a block device"
         : S_ISFIFO(mode) ? "a FIFO (named pipe)"
         : S_ISSOCK(mode) ? "a socket"
                          : "not a file";
}

std::string byte_size_text(std::uint64_t bytes) {
  constexpr std::uint64_t kKibibyte = 1024;
  constexpr std::uint64_t kMebibyte = kKibibyte * 1024;
  constexpr std::uint64_t kGibibyte = kMebibyte * 1024;
  if (bytes >= kGibibyte && bytes % kGibibyte == 0) return fmt::format("{} GiB", bytes / kGibibyte);
  if (bytes >= kMebibyte && bytes % kMebibyte == 0) return fmt::format("{} MiB", bytes / kMebibyte);
  if (bytes >= kKibibyte && bytes % kKibibyte == 0) return fmt::format("{} KiB", bytes / kKibibyte);
  return fmt::format("{} byte{}", bytes, bytes == 1 ? "" : "s");
}

}  // namespace cutover
