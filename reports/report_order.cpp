#include "reports/report_order.hpp"

#include <functional>
#include <utility>

namespace cutover {

std::size_t ReportOrder::see(const PlannedCheck& check) {
  const std::size_t hash = key_hash(check.suite, check.name);
  if (2 * (seen_.size() + 1) > slots_.size()) grow(seen_.size() + 1);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.place == 0) {
      slot = {hash, seen_.size() + 1};
      seen_.push_back({check.suite, check.name});
      return seen_.size() - 1;
    }
    if (slot.hash != hash) continue;
    const Seen& known = seen_[slot.place - 1];
    if (known.suite == check.suite && known.name == check.name) return slot.place - 1;
  }
}

void ReportOrder::reserve(std::size_t checks) {
  seen_.reserve(checks);
  if (2 * checks > slots_.size()) grow(checks);
}

std::size_t ReportOrder::key_hash(std::string_view suite, std::string_view name) {
  const std::size_t first = std::hash<std::string_view>{}(suite);
  return first ^
         (std::hash<std::string_view>{}(name) + 0x9e3779b97f4a7c15 + (first << 6) + (first >> 2));
}

// Room for `checks` at most half full: the slots are laid out again from their hashes.
void ReportOrder::grow(std::size_t checks) {
  std::size_t size = std::max<std::size_t>(16, slots_.size());
  while (size < 2 * checks)
    size *= 2;
  std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(size));
  const std::size_t mask = size - 1;
  for (const Slot& slot : old) {
    if (slot.place == 0) continue;
    std::size_t i = slot.hash & mask;
    while (slots_[i].place != 0)
      i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

std::size_t ReportOrder::suite_rank(const RunInfo& info, std::string_view suite) {
  return static_cast<std::size_t>(
      std::find_if(info.suites.begin(), info.suites.end(),
                   [suite](const SuiteInfo& known) { return known.name == suite; }) -
      info.suites.begin());
}

std::size_t ReportOrder::phase_rank(const RunInfo& info, std::string_view phase) {
  return static_cast<std::size_t>(std::find(info.phases.begin(), info.phases.end(), phase) -
                                  info.phases.begin());
}

}  // namespace cutover
