#include "harness/suite_phases.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/text.hpp"

namespace cutover::detail {

void read_phases(ValueReader& reader, const yaml::Node& node, FileContext& context,
                 std::vector<std::string>& phase_order) {
  auto phases = reader.identifier_list(node, context, "phases");
  if (!phases) return;
  if (phases->empty()) {
    reader.error(node, context, "phases: expected at least one phase name");
    return;
  }
  std::size_t previous = 0;
  for (const std::string& phase : *phases) {
    if (std::count(phases->begin(), phases->end(), phase) > 1) {
      reader.error(node, context, fmt::format("phases: '{}' is listed twice", phase));
      return;
    }
    auto it = std::find(phase_order.begin(), phase_order.end(), phase);
    if (it == phase_order.end()) it = phase_order.insert(phase_order.end(), phase);
    const auto position = static_cast<std::size_t>(it - phase_order.begin());
    if (position < previous) {
      reader.error(node, context,
                   fmt::format("phases: the order conflicts with another suite's ({})",
                               fmt::join(phase_order, ", ")));
      return;
    }
    previous = position;
  }
  context.phases = std::move(*phases);
}

bool check_phase(ValueReader& reader, const std::string& phase, const yaml::Node& node,
                 const FileContext& context, std::string_view what) {
  const std::vector<std::string>& declared = context.phases;
  if (declared.empty() || std::find(declared.begin(), declared.end(), phase) != declared.end()) {
    return true;
  }
  reader.error(node, context,
               fmt::format("{}: '{}' is not one of the suite's phases ({})", what, phase,
                           fmt::join(declared, ", ")) +
                   suggestion_or(phase, declared));
  return false;
}

std::optional<std::string> phase_value(ValueReader& reader, const yaml::Node& node,
                                       const FileContext& context, std::string_view what) {
  auto phase = reader.identifier_list(node, context, what);
  if (!phase) return std::nullopt;
  if (phase->size() != 1) {
    reader.error(node, context, fmt::format("{}: expected one phase name", what));
    return std::nullopt;
  }
  if (!check_phase(reader, phase->front(), node, context, what)) return std::nullopt;
  return std::move(phase->front());
}

}  // namespace cutover::detail
