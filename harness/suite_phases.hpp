#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/suite_values.hpp"
#include "harness/yaml.hpp"

namespace cutover::detail {

// `phases: [pre, sync, post]` fixes the order phases run in, whatever order checks (and included
// files) use them in, and makes any other phase name an error. The order joins `phase_order`,
// every suite's, with which it must agree.
void read_phases(ValueReader& reader, const yaml::Node& node, FileContext& context,
                 std::vector<std::string>& phase_order);

// With declared phases, a phase name must be one of them: a typo must not make a new phase.
bool check_phase(ValueReader& reader, const std::string& phase, const yaml::Node& node,
                 const FileContext& context, std::string_view what);

// One phase name (`phase:`, `defaults.phase:`), one of the declared phases if there are any.
std::optional<std::string> phase_value(ValueReader& reader, const yaml::Node& node,
                                       const FileContext& context, std::string_view what);

}  // namespace cutover::detail
