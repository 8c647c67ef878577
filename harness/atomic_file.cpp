#include "harness/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace cutover {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, std::string_view what, int error) {
  throw std::runtime_error("cannot write " + path.string() + ": " + std::string(what) + ": " +
                           std::strerror(error));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  std::error_code error;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), error);
    if (error) fail(path, "create folder", error.value());
  }
  std::string temporary = path.string() + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) fail(path, "create temporary file", errno);

  const auto abandon = [&](std::string_view what) {
    const int saved = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    fail(path, what, saved);
  };
  for (std::size_t written = 0; written < content.size();) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      abandon("write");
    }
    written += static_cast<std::size_t>(n);
  }
  // mkstemp creates 0600; reports are ordinary files that CI artifact stores must read.
  if (::fchmod(fd, 0644) != 0) abandon("chmod");
  if (::fsync(fd) != 0) abandon("fsync");
  if (::close(fd) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    fail(path, "close", saved);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    fail(path, "rename", saved);
  }
}

}  // namespace cutover
