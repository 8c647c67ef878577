#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cutover::loopback {

// What the database server launchers (PostgresCluster, MariadbServer) share. PostgreSQL and
// MariaDB refuse to run as root, so when the tests run as root, as CI does, the servers and their
// tools run as the server's own system user (`postgres`, `mysql`).

bool running_as_root();

// `arguments` run as `user` through runuser when root; unchanged otherwise.
std::vector<std::string> as_user(std::string_view user, std::vector<std::string> arguments);

// Hands a folder or file the fixture created to `user` when root. Throws std::runtime_error when
// there is no such user or chown fails.
void give_to_user(const std::filesystem::path& path, std::string_view user);

// A TCP port free on 127.0.0.1 right now: the server binds it a moment later, so a launcher
// retries on a clash.
int free_port();

// The last `count` lines of `text`, for an error message quoting a server's log.
std::string last_lines(const std::string& text, std::size_t count);

}  // namespace cutover::loopback
