#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "harness/expected.hpp"
#include "harness/plan.hpp"

namespace cutover {

struct Selection {
  std::vector<std::string> phases{};  // empty: every phase
  std::vector<std::string> tags{};    // a check runs when it has any; "!tag" excludes a tag
  std::string filter{};               // GoogleTest style: "POSITIVE[:...][-NEGATIVE[:...]]"
  int shard_index = 0;
  int shard_count = 1;
};

// Whether a GoogleTest-style filter selects something known by any of `names`: ':'-separated
// glob patterns ('*', '?'), optionally followed by '-' and patterns to exclude. One of the names
// must match a positive pattern (an empty positive part matches all) and none a negative one.
bool matches_filter(std::string_view filter, std::initializer_list<std::string_view> names);

// The indices of the checks to run, in plan order. A filter pattern is matched against the check
// name and against "suite/name". A plan without checks, unknown phases or tags, and a selection
// that matches nothing before sharding, are errors: a typo must not turn a gate green by running
// nothing.
//
// Sharding keeps each group of checks connected by `needs` together, so that a dependency never
// sits in another shard; the largest groups go first, each to the shard with the fewest checks so
// far. Every shard computes the same assignment, so the shards' union is the selection and no check
// runs twice.
Expected<std::vector<std::size_t>> select_checks(const Plan& plan, const Selection& selection);

}  // namespace cutover
