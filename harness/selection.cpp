#include "harness/selection.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/text.hpp"

namespace cutover {
namespace {

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative matcher with backtracking to the last '*': linear in practice, no recursion.
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

bool matches_any(std::string_view patterns, std::string_view name) {
  std::size_t start = 0;
  while (start <= patterns.size()) {
    std::size_t end = patterns.find(':', start);
    if (end == std::string_view::npos) end = patterns.size();
    if (glob_match(patterns.substr(start, end - start), name)) return true;
    start = end + 1;
  }
  return false;
}

std::size_t find_root(std::vector<std::size_t>& parent, std::size_t i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

std::string unknown_name_message(std::string_view what, const std::string& name,
                                 const std::set<std::string>& known) {
  std::vector<std::string> candidates(known.begin(), known.end());
  std::string message = fmt::format("no check has the {} '{}'", what, name);
  message += suggestion_or(
      name, candidates,
      candidates.empty() ? "" : fmt::format(" (the suites have: {})", fmt::join(candidates, ", ")));
  return message;
}

// The tags a selection asks for and those it excludes ('!tag').
struct TagSelection {
  std::vector<std::string> wanted;
  std::vector<std::string> excluded;
};

// The selection's phases and tags, each checked to be a name some check has: a typo must not
// silently select nothing.
Expected<TagSelection> known_names(const Plan& plan, const Selection& selection) {
  std::set<std::string> known_phases;
  std::set<std::string> known_tags;
  for (const PlannedCheck& check : plan.checks) {
    known_phases.insert(check.phase);
    known_tags.insert(check.tags.begin(), check.tags.end());
  }
  for (const std::string& phase : selection.phases) {
    if (known_phases.count(phase) == 0) {
      return outcome::failure(Error{unknown_name_message("phase", phase, known_phases)});
    }
  }
  TagSelection tags;
  for (const std::string& tag : selection.tags) {
    const bool excluded = tag.starts_with('!');
    const std::string name = excluded ? tag.substr(1) : tag;
    if (known_tags.count(name) == 0) {
      return outcome::failure(Error{unknown_name_message("tag", name, known_tags)});
    }
    (excluded ? tags.excluded : tags.wanted).push_back(name);
  }
  return outcome::success(std::move(tags));
}

bool has_any(const PlannedCheck& check, const std::vector<std::string>& tags) {
  return std::any_of(tags.begin(), tags.end(), [&](const std::string& tag) {
    return std::find(check.tags.begin(), check.tags.end(), tag) != check.tags.end();
  });
}

bool is_selected(const PlannedCheck& check, const Selection& selection, const TagSelection& tags) {
  const std::vector<std::string>& phases = selection.phases;
  if (!phases.empty() && std::find(phases.begin(), phases.end(), check.phase) == phases.end()) {
    return false;
  }
  if (!tags.wanted.empty() && !has_any(check, tags.wanted)) return false;
  if (has_any(check, tags.excluded)) return false;
  return selection.filter.empty() ||
         matches_filter(selection.filter, {check.name, check.suite + "/" + check.name});
}

// Groups of selected checks connected by needs (union-find over positions in `selected`), each
// in plan order; the groups in the order of their first check.
std::vector<std::vector<std::size_t>> needs_groups(const Plan& plan,
                                                   const std::vector<std::size_t>& selected) {
  std::map<std::pair<std::string, std::string>, std::size_t> position;
  for (std::size_t k = 0; k < selected.size(); ++k) {
    const PlannedCheck& check = plan.checks[selected[k]];
    position.emplace(std::pair{check.suite, check.name}, k);
  }
  std::vector<std::size_t> parent(selected.size());
  std::iota(parent.begin(), parent.end(), 0);
  for (std::size_t k = 0; k < selected.size(); ++k) {
    const PlannedCheck& check = plan.checks[selected[k]];
    for (const std::string& need : check.needs) {
      auto it = position.find({check.suite, need});
      if (it == position.end()) continue;
      parent[find_root(parent, k)] = find_root(parent, it->second);
    }
  }
  std::map<std::size_t, std::size_t> group_of_root;
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t k = 0; k < selected.size(); ++k) {
    auto [it, added] = group_of_root.emplace(find_root(parent, k), groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(k);
  }
  return groups;
}

// This shard's share of the selected checks: largest groups first, each to the lightest shard
// (ties: the lower index, then plan order), so checks connected by needs stay together.
std::vector<std::size_t> shard_share(const Plan& plan, const std::vector<std::size_t>& selected,
                                     const Selection& selection) {
  std::vector<std::vector<std::size_t>> groups = needs_groups(plan, selected);
  std::stable_sort(groups.begin(), groups.end(),
                   [](const auto& a, const auto& b) { return a.size() > b.size(); });
  std::vector<std::size_t> load(static_cast<std::size_t>(selection.shard_count), 0);
  std::vector<std::size_t> mine;
  for (const std::vector<std::size_t>& group : groups) {
    const auto lightest =
        static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    load[static_cast<std::size_t>(lightest)] += group.size();
    if (lightest != selection.shard_index) continue;
    for (std::size_t k : group)
      mine.push_back(selected[k]);
  }
  std::sort(mine.begin(), mine.end());
  return mine;
}

// A plan without checks is the suites' mistake, whatever the selection asks for.
std::string no_checks_message(const Plan& plan) {
  constexpr std::string_view kNothing = "there is nothing to run";
  if (plan.suites.empty()) return fmt::format("the plan has no checks: {}", kNothing);
  if (plan.suites.size() == 1) {
    return fmt::format("suite '{}' ({}) has no checks: {}", plan.suites[0].name,
                       plan.suites[0].file, kNothing);
  }
  std::vector<std::string> names;
  for (const SuiteInfo& suite : plan.suites)
    names.push_back("'" + suite.name + "'");
  return fmt::format("suites {} have no checks: {}", fmt::join(names, ", "), kNothing);
}

}  // namespace

bool matches_filter(std::string_view filter, std::initializer_list<std::string_view> names) {
  const std::size_t dash = filter.find('-');
  std::string_view positive = filter.substr(0, dash);
  const std::string_view negative =
      dash == std::string_view::npos ? std::string_view{} : filter.substr(dash + 1);
  if (positive.empty()) positive = "*";
  auto any_matches = [&names](std::string_view patterns) {
    return std::any_of(names.begin(), names.end(),
                       [patterns](std::string_view name) { return matches_any(patterns, name); });
  };
  return any_matches(positive) && (negative.empty() || !any_matches(negative));
}

Expected<std::vector<std::size_t>> select_checks(const Plan& plan, const Selection& selection) {
  if (selection.shard_count < 1 || selection.shard_index < 0 ||
      selection.shard_index >= selection.shard_count) {
    return outcome::failure(Error{
        fmt::format("--shard-index must be from 0 to --shard-count - 1 (got index {} of {} shards)",
                    selection.shard_index, selection.shard_count)});
  }
  if (plan.checks.empty()) return outcome::failure(Error{no_checks_message(plan)});
  auto tags = known_names(plan, selection);
  if (!tags) return outcome::failure(std::move(tags).error());

  std::vector<std::size_t> selected;
  for (std::size_t i = 0; i < plan.checks.size(); ++i) {
    if (is_selected(plan.checks[i], selection, tags.value())) selected.push_back(i);
  }
  if (selected.empty()) {
    return outcome::failure(Error{"no check matches the selection (--phase, --tag, --filter)"});
  }
  if (selection.shard_count == 1) return outcome::success(std::move(selected));
  return outcome::success(shard_share(plan, selected, selection));
}

}  // namespace cutover
