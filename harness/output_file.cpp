#include "harness/output_file.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <streambuf>

#include <fmt/format.h>

#include "harness/input_file.hpp"

namespace cutover {
namespace {

// The kernel's own limit on links followed in one path (ELOOP past it).
constexpr int kMaxLinksFollowed = 40;

// Reports are ordinary files that CI artifact stores must read (mkstemp creates 0600).
constexpr mode_t kNewFileMode = 0644;

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

bool is_standard_output(const struct stat& status) {
  struct stat out {};
  return ::fstat(STDOUT_FILENO, &out) == 0 && same_file(out, status);
}

// Where a chain of symbolic links ends: the first name that is not a link, which need not exist.
Expected<std::filesystem::path> final_target(std::filesystem::path path) {
  for (int followed = 0; followed <= kMaxLinksFollowed; ++followed) {
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0 || !S_ISLNK(status.st_mode)) return path;
    std::error_code error;
    const std::filesystem::path next = std::filesystem::read_symlink(path, error);
    if (error) return Error{error.message()};
    path = next.is_absolute() ? next : path.parent_path() / next;
  }
  return Error{std::strerror(ELOOP)};
}

// A regular file, written in place only when its name cannot be found: a link the kernel follows
// by magic (/proc/PID/fd/N) may point at a file whose name has gone or is another file's now.
OutputTarget regular_file_target(const std::filesystem::path& path, const struct stat& status) {
  auto target = final_target(path);
  struct stat named {};
  if (target && ::stat(target.value().c_str(), &named) == 0 && same_file(named, status)) {
    return {OutputKind::replace, std::move(target).value()};
  }
  return {OutputKind::in_place, path};
}

[[noreturn]] void fail(const std::filesystem::path& path, std::string_view what, int error) {
  throw OutputError(fmt::format("cannot write {}: {}: {}", output_display_name(path), what,
                                std::strerror(error)));
}

// A stream buffer over a descriptor that keeps the first write error: std::ofstream forgets
// errno, and cannot write to a descriptor that is already open (standard output).
class DescriptorBuffer : public std::streambuf {
 public:
  explicit DescriptorBuffer(int fd) : fd_(fd) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }

  // 0, or the errno of the first failed write.
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }

  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const char* next = pbase();
    while (error_ == 0 && next < pptr()) {
      const ssize_t wrote = ::write(fd_, next, static_cast<std::size_t>(pptr() - next));
      if (wrote >= 0) {
        next += wrote;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        // Standard output may be a non-blocking pipe that a parent shares.
        pollfd ready{fd_, POLLOUT, 0};
        ::poll(&ready, 1, -1);
      } else if (errno != EINTR) {
        error_ = errno;
      }
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return error_ == 0;
  }

  int fd_;
  int error_ = 0;
  std::array<char, 64 * 1024> buffer_{};
};

// Streams `write` into `fd`: 0, or the errno of the first failure.
int write_to(int fd, const std::function<void(std::ostream&)>& write) {
  DescriptorBuffer buffer(fd);
  std::ostream out(&buffer);
  write(out);
  out.flush();
  if (buffer.error() != 0) return buffer.error();
  return out ? 0 : EIO;
}

void write_standard_output(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write) {
  std::cout.flush();  // what was printed before comes first
  if (const int error = write_to(STDOUT_FILENO, write); error != 0) fail(path, "write", error);
}

// A device or FIFO: opening a FIFO waits for its reader, as for any program that writes one.
void write_in_place(const std::filesystem::path& path,
                    const std::function<void(std::ostream&)>& write) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) fail(path, "open", errno);
  const int error = write_to(fd, write);
  const int closed = ::close(fd) == 0 ? 0 : errno;
  if (error != 0) fail(path, "write", error);
  if (closed != 0 && closed != EINTR) fail(path, "close", closed);
}

// The temporary file beside the target, removed unless it was renamed over it.
struct Temporary {
  std::string path;
  int fd = -1;
  bool renamed = false;
  ~Temporary() {
    if (fd >= 0) ::close(fd);
    if (!renamed) ::unlink(path.c_str());
  }
};

void replace(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write) {
  std::error_code error;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), error);
    if (error) fail(path, "create folder", error.value());
  }
  // A file that is replaced keeps its permissions: a report someone made private stays so.
  struct stat existing {};
  const mode_t mode =
      ::stat(path.c_str(), &existing) == 0 ? existing.st_mode & 07777 : kNewFileMode;

  Temporary temporary{path.string() + ".tmp-XXXXXX"};
  temporary.fd = ::mkostemp(temporary.path.data(), O_CLOEXEC);
  if (temporary.fd < 0) {
    temporary.renamed = true;  // nothing was created
    fail(path, "create temporary file", errno);
  }
  if (const int failed = write_to(temporary.fd, write); failed != 0) fail(path, "write", failed);
  if (::fchmod(temporary.fd, mode) != 0) fail(path, "chmod", errno);
  if (::fsync(temporary.fd) != 0) fail(path, "fsync", errno);
  const int fd = std::exchange(temporary.fd, -1);
  if (::close(fd) != 0 && errno != EINTR) fail(path, "close", errno);
  if (::rename(temporary.path.c_str(), path.c_str()) != 0) fail(path, "rename", errno);
  temporary.renamed = true;
}

}  // namespace

Expected<OutputTarget> output_target(const std::filesystem::path& path) {
  if (path == "-") return OutputTarget{OutputKind::standard_output, path};
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    if (errno != ENOENT) return Error{std::strerror(errno)};
    // A new path, or a link to one: the file is made where the links end.
    auto target = final_target(path);
    if (!target) return std::move(target).error();
    return OutputTarget{OutputKind::replace, std::move(target).value()};
  }
  if (is_standard_output(status)) return OutputTarget{OutputKind::standard_output, path};
  if (S_ISCHR(status.st_mode) || S_ISFIFO(status.st_mode)) {
    return OutputTarget{OutputKind::in_place, path};
  }
  if (S_ISREG(status.st_mode)) return regular_file_target(path, status);
  return Error{fmt::format("it is {}", file_type_text(status.st_mode))};
}

Expected<bool> check_report_paths(
    const std::vector<std::pair<std::string, std::filesystem::path>>& reports) {
  // Where each report writes: "" for standard output, else the file's absolute name.
  std::vector<std::pair<std::string, std::filesystem::path>> written;
  for (const auto& [format, path] : reports) {
    const std::string flag = "--" + format;
    auto target = output_target(path);
    if (!target) {
      return Error{fmt::format("{} {}: {}; name a file, or '-' for standard output", flag,
                               path.string(), target.error().message)};
    }
    std::error_code ignored;
    const std::filesystem::path where =
        target.value().kind == OutputKind::standard_output
            ? std::filesystem::path()
            : std::filesystem::weakly_canonical(target.value().path, ignored);
    for (const auto& [other, other_where] : written) {
      if (other_where != where) continue;
      if (where.empty()) {
        return Error{fmt::format("{} and {} both write to standard output; at most one report can",
                                 other, flag)};
      }
      return Error{fmt::format("{} and {} both write {}; give each report a file of its own", other,
                               flag, where.string())};
    }
    written.emplace_back(flag, where);
  }
  return std::any_of(written.begin(), written.end(),
                     [](const auto& report) { return report.second.empty(); });
}

std::string output_display_name(const std::filesystem::path& path) {
  return path == "-" ? "standard output" : path.string();
}

void write_output_file(const std::filesystem::path& path,
                       const std::function<void(std::ostream&)>& write) {
  auto target = output_target(path);
  if (!target)
    throw OutputError(fmt::format("cannot write {}: {}", path.string(), target.error().message));
  switch (target.value().kind) {
    case OutputKind::standard_output:
      write_standard_output(path, write);
      return;
    case OutputKind::in_place:
      write_in_place(target.value().path, write);
      return;
    case OutputKind::replace:
      replace(target.value().path, write);
      return;
  }
}

void write_output_file(const std::filesystem::path& path, std::string_view content) {
  write_output_file(path, [content](std::ostream& out) {
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  });
}

}  // namespace cutover
