#pragma once

#include <cstddef>
#include <ostream>
#include <string>

#include <boost/system/error_code.hpp>

// Open file descriptors: every connection, lookup and report file takes one, and a process has
// only RLIMIT_NOFILE of them. A run that asks for more checks at once than fit would see its
// connections fail with EMFILE, which reads like a fault of the targets.
namespace cutover {

// Kept free whatever the checks do: the standard streams, the event loop's own descriptors,
// report files, the resolvers' shared sockets, database cancel requests.
inline constexpr std::size_t kReservedDescriptors = 32;

// What one network check in flight may hold at once: its connection and its lookup's socket.
inline constexpr std::size_t kDescriptorsPerCheck = 2;

// The soft RLIMIT_NOFILE in force.
std::size_t open_file_limit();

// Called once at start-up: raises the soft RLIMIT_NOFILE to the hard limit (which only root may
// raise). Returns the soft limit then in force.
std::size_t raise_open_file_limit();

// How many checks may run at once within `limit` descriptors when `requested` were asked for and
// `database_connections` may be open beside them: `requested` when they fit, fewer (at least 1)
// when not.
std::size_t concurrency_within(std::size_t limit, std::size_t requested,
                               std::size_t database_connections);

// Called once before a run: raises the limit, then returns the concurrency that fits it. When
// that is below `requested`, says so on `notes`, once:
//   "cutover: note: running at most 16 checks at once, not 500: the open-file limit is 64 (raise
//   ulimit -n for more)"
std::size_t fit_concurrency(std::size_t requested, std::size_t database_connections,
                            std::ostream& notes);

// "too many open files (the limit is 64; lower --concurrency or raise ulimit -n)"
std::string too_many_open_files();

// `error` itself, except that running out of descriptors becomes an error of its own whose
// message() says what to do: too_many_open_files() for EMFILE (the process's limit), "too many
// open files in the system (fs.file-max); lower --concurrency" for ENFILE.
boost::system::error_code descriptor_error(const boost::system::error_code& error);

}  // namespace cutover
