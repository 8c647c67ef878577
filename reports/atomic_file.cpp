#include "reports/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

namespace cutover {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, std::string_view what, int error) {
  throw std::runtime_error("cannot write " + path.string() + ": " + std::string(what) + ": " +
                           std::strerror(error));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write) {
  std::error_code error;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), error);
    if (error) fail(path, "create folder", error.value());
  }
  std::string temporary = path.string() + ".tmp-XXXXXX";
  const int created = ::mkstemp(temporary.data());
  if (created < 0) fail(path, "create temporary file", errno);
  ::close(created);

  const auto abandon = [&](std::string_view what, int saved, int fd = -1) {
    if (fd >= 0) ::close(fd);
    ::unlink(temporary.c_str());
    fail(path, what, saved);
  };
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    errno = 0;
    if (out) write(out);
    out.flush();
    if (!out) abandon("write", errno != 0 ? errno : EIO);
  }
  // The stream cannot sync to disk; a second descriptor can.
  const int fd = ::open(temporary.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) abandon("reopen", errno);
  // mkstemp creates 0600; reports are ordinary files that CI artifact stores must read.
  if (::fchmod(fd, 0644) != 0) abandon("chmod", errno, fd);
  if (::fsync(fd) != 0) abandon("fsync", errno, fd);
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) abandon("rename", errno);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  write_file_atomically(path, [content](std::ostream& out) {
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  });
}

}  // namespace cutover
