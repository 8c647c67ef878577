#include "harness/plan.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <map>

#include <fmt/format.h>

namespace cutover {

std::vector<std::string> Plan::phases() const {
  std::vector<std::string> phases;
  const auto used = [this](const std::string& phase) {
    return std::any_of(checks.begin(), checks.end(),
                       [&phase](const PlannedCheck& check) { return check.phase == phase; });
  };
  std::copy_if(phase_order.begin(), phase_order.end(), std::back_inserter(phases), used);
  for (const PlannedCheck& check : checks) {
    if (std::find(phases.begin(), phases.end(), check.phase) == phases.end()) {
      phases.push_back(check.phase);
    }
  }
  return phases;
}

std::optional<std::size_t> Plan::find(const std::string& suite, const std::string& name) const {
  for (std::size_t i = 0; i < checks.size(); ++i) {
    if (checks[i].suite == suite && checks[i].name == name) return i;
  }
  return std::nullopt;
}

Diagnostics validate_needs(const Plan& plan) {
  Diagnostics diagnostics;
  const std::vector<std::string> phases = plan.phases();
  const auto phase_rank = [&](const std::string& phase) {
    return std::find(phases.begin(), phases.end(), phase) - phases.begin();
  };

  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (std::size_t i = 0; i < plan.checks.size(); ++i) {
    index.emplace(std::pair{plan.checks[i].suite, plan.checks[i].name}, i);
  }

  std::vector<std::vector<std::size_t>> edges(plan.checks.size());
  for (std::size_t i = 0; i < plan.checks.size(); ++i) {
    const PlannedCheck& check = plan.checks[i];
    for (const std::string& need : check.needs) {
      auto found = index.find({check.suite, need});
      if (found == index.end()) {
        diagnostics.push_back({check.location, fmt::format("check '{}' needs '{}', but suite '{}' "
                                                           "has no check of that name",
                                                           check.name, need, check.suite)});
        continue;
      }
      const std::size_t target = found->second;
      if (target == i) {
        diagnostics.push_back({check.location, fmt::format("check '{}' needs itself", check.name)});
        continue;
      }
      const PlannedCheck& needed = plan.checks[target];
      if (phase_rank(needed.phase) > phase_rank(check.phase)) {
        diagnostics.push_back(
            {check.location,
             fmt::format("check '{}' (phase '{}') needs '{}', which runs in the later phase '{}'",
                         check.name, check.phase, need, needed.phase)});
        continue;
      }
      edges[i].push_back(target);
    }
  }

  // Depth-first search for cycles; each cycle is reported once, at the check that closes it.
  enum class Mark { unvisited, active, done };
  std::vector<Mark> marks(plan.checks.size(), Mark::unvisited);
  std::vector<std::size_t> stack;
  std::function<void(std::size_t)> visit = [&](std::size_t i) {
    marks[i] = Mark::active;
    stack.push_back(i);
    for (std::size_t next : edges[i]) {
      if (marks[next] == Mark::active) {
        std::string cycle;
        auto begin = std::find(stack.begin(), stack.end(), next);
        for (auto it = begin; it != stack.end(); ++it)
          cycle += "'" + plan.checks[*it].name + "' -> ";
        cycle += "'" + plan.checks[next].name + "'";
        diagnostics.push_back({plan.checks[i].location, "needs form a cycle: " + cycle});
      } else if (marks[next] == Mark::unvisited) {
        visit(next);
      }
    }
    stack.pop_back();
    marks[i] = Mark::done;
  };
  for (std::size_t i = 0; i < plan.checks.size(); ++i) {
    if (marks[i] == Mark::unvisited) visit(i);
  }
  return diagnostics;
}

}  // namespace cutover
