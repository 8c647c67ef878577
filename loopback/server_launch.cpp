#include "loopback/server_launch.hpp"

#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace cutover::loopback {

bool running_as_root() {
  return ::geteuid() == 0;
}

std::vector<std::string> as_user(std::string_view user, std::vector<std::string> arguments) {
  if (!running_as_root()) return arguments;
  const char* runuser =
      ::access("/usr/sbin/runuser", X_OK) == 0 ? "/usr/sbin/runuser" : "/sbin/runuser";
  arguments.insert(arguments.begin(), {runuser, "-u", std::string(user), "--"});
  return arguments;
}

void give_to_user(const std::filesystem::path& path, std::string_view user) {
  if (!running_as_root()) return;
  const std::string name(user);
  const passwd* entry = ::getpwnam(name.c_str());
  if (entry == nullptr) {
    throw std::runtime_error("running as root needs a `" + name + "` user to run the server as");
  }
  if (::chown(path.c_str(), entry->pw_uid, entry->pw_gid) != 0) {
    throw std::runtime_error("cannot chown " + path.string() + " to " + name);
  }
}

int free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  return probe.local_endpoint().port();
}

std::string last_lines(const std::string& text, std::size_t count) {
  std::size_t start = text.size();
  if (start > 0 && text[start - 1] == '\n') --start;
  for (std::size_t lines = 0; start > 0; --start) {
    if (text[start - 1] == '\n' && ++lines == count) break;
  }
  return text.substr(start);
}

}  // namespace cutover::loopback
