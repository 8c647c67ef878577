#include "harness/descriptors.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <optional>

#include <fmt/format.h>

namespace cutover {
namespace {

// RLIM_INFINITY, or a limit past what size_t holds, counts as the largest size_t.
std::size_t as_size(rlim_t limit) {
  if (limit == RLIM_INFINITY || limit > std::numeric_limits<std::size_t>::max()) {
    return std::numeric_limits<std::size_t>::max();
  }
  return static_cast<std::size_t>(limit);
}

// The process's open-file limits, if the system says.
std::optional<rlimit> current_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  return limit;
}

// EMFILE and ENFILE, worded with the limit and what to do.
class DescriptorsCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "descriptors"; }
  std::string message(int value) const override {
    if (value == ENFILE)
      return "too many open files in the system (fs.file-max); lower --concurrency";
    return too_many_open_files();
  }
};

const boost::system::error_category& descriptors_category() {
  static const DescriptorsCategory category;
  return category;
}

}  // namespace

std::size_t open_file_limit() {
  const std::optional<rlimit> limit = current_limit();
  return limit ? as_size(limit->rlim_cur) : std::numeric_limits<std::size_t>::max();
}

std::size_t raise_open_file_limit() {
  const std::optional<rlimit> current = current_limit();
  if (!current) return std::numeric_limits<std::size_t>::max();
  rlimit limit = *current;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    // Linux refuses RLIM_INFINITY past fs.nr_open: the old soft limit then stays.
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return as_size(limit.rlim_cur);
}

std::size_t concurrency_within(std::size_t limit, std::size_t requested,
                               std::size_t database_connections) {
  const std::size_t reserved = kReservedDescriptors + database_connections;
  const std::size_t room = limit > reserved ? (limit - reserved) / kDescriptorsPerCheck : 0;
  return std::clamp<std::size_t>(room, 1, std::max<std::size_t>(requested, 1));
}

std::size_t fit_concurrency(std::size_t requested, std::size_t database_connections,
                            std::ostream& notes) {
  const std::size_t limit = raise_open_file_limit();
  const std::size_t fitting = concurrency_within(limit, requested, database_connections);
  if (fitting < requested) {
    notes << fmt::format(
        "cutover: note: running at most {} check{} at once, not {}: the open-file limit is {} "
        "(raise ulimit -n for more)\n",
        fitting, fitting == 1 ? "" : "s", requested, limit);
  }
  return fitting;
}

std::string too_many_open_files() {
  return fmt::format(
      "too many open files (the limit is {}; lower --concurrency or raise ulimit -n)",
      open_file_limit());
}

boost::system::error_code descriptor_error(const boost::system::error_code& error) {
  if (error.category() != boost::system::system_category() &&
      error.category() != boost::system::generic_category()) {
    return error;
  }
  if (error.value() != EMFILE && error.value() != ENFILE) return error;
  return {error.value(), descriptors_category()};
}

}  // namespace cutover
