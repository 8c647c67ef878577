// Where a report's bytes go (issue 15, item 5; STYLE 28): regular files and new paths are
// replaced atomically; devices and FIFOs are written in place; links are followed and kept;
// anything else is refused. The tests run as root, as in CI, where a rename replaces anything.
#include "harness/output_file.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "loopback/temp_dir.hpp"

namespace cutover {
namespace {

namespace fs = std::filesystem;

bool is_character_device(const fs::path& path) {
  struct stat status {};
  return ::lstat(path.c_str(), &status) == 0 && S_ISCHR(status.st_mode);
}

// A node of its own for /dev/null (1, 3) or /dev/full (1, 7): were a regression to replace it,
// the machine's own would be safe.
fs::path device(const loopback::TempDir& dir, const std::string& name, unsigned minor) {
  const fs::path path = dir.path() / name;
  if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(1, minor)) != 0) {
    throw std::runtime_error("mknod " + path.string() + " (the tests run as root)");
  }
  return path;
}

// The names in `folder`: a temporary file left behind would show here.
std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(OutputFile, ReplacesARegularFileAndKeepsItsPermissions) {
  loopback::TempDir dir;
  const fs::path path = dir.write("report.json", "old");
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  write_output_file(path, "new");
  EXPECT_EQ(loopback::read_file(path), "new");
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"report.json"});
}

TEST(OutputFile, MakesANewFileReadableByAll) {
  loopback::TempDir dir;
  const fs::path path = dir.path() / "new" / "folder" / "report.json";
  write_output_file(path, "text");
  EXPECT_EQ(loopback::read_file(path), "text");
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
}

TEST(OutputFile, WritesADeviceInPlaceAndReportsItsErrors) {
  loopback::TempDir dir;
  const fs::path null = device(dir, "null", 3);
  write_output_file(null, "nothing");
  EXPECT_TRUE(is_character_device(null));
  const fs::path full = device(dir, "full", 7);
  try {
    write_output_file(full, "too much");
    ADD_FAILURE() << "writing a full device succeeded";
  } catch (const OutputError& e) {
    EXPECT_EQ(e.what(), "cannot write " + full.string() + ": write: No space left on device");
  }
  EXPECT_TRUE(is_character_device(full));
}

TEST(OutputFile, WritesAFifoInPlace) {
  loopback::TempDir dir;
  const fs::path fifo = dir.path() / "reader";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto read = std::async(std::launch::async, [&fifo] { return loopback::read_file(fifo); });
  write_output_file(fifo, "through the pipe");
  EXPECT_EQ(read.get(), "through the pipe");
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
}

TEST(OutputFile, WritesThroughALinkToItsRegularTargetAndKeepsTheLink) {
  loopback::TempDir dir;
  const fs::path target = dir.write("real/report.json", "old");
  fs::create_symlink("real/report.json", dir.path() / "latest.json");
  fs::create_symlink(dir.path() / "latest.json", dir.path() / "chain.json");
  write_output_file(dir.path() / "chain.json", "new");
  EXPECT_EQ(loopback::read_file(target), "new");
  EXPECT_TRUE(fs::is_symlink(dir.path() / "latest.json"));
  EXPECT_TRUE(fs::is_symlink(dir.path() / "chain.json"));
  EXPECT_EQ(names_in(dir.path() / "real"), std::vector<std::string>{"report.json"});
}

TEST(OutputFile, CreatesTheTargetOfADanglingLink) {
  loopback::TempDir dir;
  fs::create_symlink("reports/today.json", dir.path() / "latest.json");
  write_output_file(dir.path() / "latest.json", "made");
  EXPECT_TRUE(fs::is_symlink(dir.path() / "latest.json"));
  EXPECT_EQ(loopback::read_file(dir.path() / "reports/today.json"), "made");
}

TEST(OutputFile, WritesThroughALinkToADeviceInPlace) {
  loopback::TempDir dir;
  const fs::path full = device(dir, "full", 7);
  fs::create_symlink("full", dir.path() / "link");
  EXPECT_THROW(write_output_file(dir.path() / "link", "x"), OutputError);
  EXPECT_TRUE(fs::is_symlink(dir.path() / "link"));
  EXPECT_TRUE(is_character_device(full));
}

TEST(OutputFile, RefusesADirectoryASocketAndALinkLoop) {
  loopback::TempDir dir;
  EXPECT_EQ(output_target(dir.path()).error().message, "it is a directory");

  const fs::path socket_path = dir.path() / "socket";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  socket_path.string().copy(address.sun_path, sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(output_target(socket_path).error().message, "it is a socket");
  EXPECT_THROW(write_output_file(socket_path, "x"), OutputError);
  EXPECT_TRUE(fs::is_socket(socket_path));
  ::close(fd);

  fs::create_symlink("b", dir.path() / "a");
  fs::create_symlink("a", dir.path() / "b");
  EXPECT_EQ(output_target(dir.path() / "a").error().message, "Too many levels of symbolic links");
  EXPECT_TRUE(fs::is_symlink(dir.path() / "a"));
}

TEST(OutputFile, DashAndStandardOutputsOwnFileAreStandardOutput) {
  EXPECT_EQ(output_target("-").value().kind, OutputKind::standard_output);
  // Whatever stdout is here (a terminal, a pipe, a file), /dev/stdout names it.
  EXPECT_EQ(output_target("/dev/stdout").value().kind, OutputKind::standard_output);
  EXPECT_EQ(output_target("/proc/self/fd/1").value().kind, OutputKind::standard_output);
  EXPECT_TRUE(check_report_paths({{"json", "a.json"}, {"junit", "-"}}).value());
  EXPECT_FALSE(check_report_paths({{"json", "a.json"}}).value());
}

// The mistake check_report_paths finds, or "".
std::string report_paths_mistake(
    const std::vector<std::pair<std::string, std::filesystem::path>>& reports) {
  auto checked = check_report_paths(reports);
  return checked ? std::string() : checked.error().message;
}

TEST(OutputFile, TwoOutputsOfOneFileAreAMistake) {
  loopback::TempDir dir;
  EXPECT_EQ(report_paths_mistake({{"json", "-"}, {"junit", "-"}}),
            "--json and --junit both write to standard output; at most one report can");
  EXPECT_EQ(report_paths_mistake({{"json", "-"}, {"html", "/dev/stdout"}}),
            "--json and --html both write to standard output; at most one report can");
  EXPECT_EQ(report_paths_mistake({{"json", dir.path() / "r"}, {"junit", dir.path() / "./r"}}),
            "--json and --junit both write " + (dir.path() / "r").string() +
                "; give each report a file of its own");
  EXPECT_EQ(report_paths_mistake({{"json", dir.path()}}),
            "--json " + dir.path().string() +
                ": it is a directory; name a file, or '-' for standard output");
  EXPECT_EQ(report_paths_mistake({{"json", "-"}, {"junit", dir.path() / "r"}}), "");
}

}  // namespace
}  // namespace cutover
