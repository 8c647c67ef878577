#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "harness/plan.hpp"
#include "harness/reporter.hpp"

namespace cutover {

// The order file reports list checks in: by suite (in RunInfo order), then phase (in run order),
// then the order checks were first seen (started, or decided without starting). So two runs of
// one plan list checks alike, however their finishing order differed.
class ReportOrder {
 public:
  // Records a check; call from check_started and check_finished. Returns its place in the order
  // of first sight.
  std::size_t see(const PlannedCheck& check);

  // Makes room for `checks` checks, so that seeing them does not rehash; optional.
  void reserve(std::size_t checks);

  // Sorts entries (pointers to anything with `suite`, `phase` and the `order` see() returned).
  // Names break ties between suites or phases RunInfo does not list, so each (suite, phase)
  // stays one contiguous group.
  template <typename Entry>
  static void sort(std::vector<Entry*>& entries, const RunInfo& info) {
    const auto key = [&info](const Entry* entry) {
      return std::tuple(suite_rank(info, entry->suite), std::string_view(entry->suite),
                        phase_rank(info, entry->phase), std::string_view(entry->phase),
                        entry->order);
    };
    std::stable_sort(entries.begin(), entries.end(),
                     [&key](const Entry* a, const Entry* b) { return key(a) < key(b); });
  }

 private:
  static std::size_t suite_rank(const RunInfo& info, std::string_view suite);
  static std::size_t phase_rank(const RunInfo& info, std::string_view phase);

  // The checks seen, in order of first sight (a check's place is its order), and an
  // open-addressing index over them by a hash of (suite, name): one lookup per event, with no
  // allocation per check but the names' own.
  struct Seen {
    std::string suite;
    std::string name;
  };
  struct Slot {
    std::size_t hash = 0;
    std::size_t place = 0;  // in seen_, plus one; 0: empty
  };
  static std::size_t key_hash(std::string_view suite, std::string_view name);
  void grow(std::size_t checks);

  std::vector<Seen> seen_;
  std::vector<Slot> slots_;  // a power of two, at most half full
};

}  // namespace cutover
