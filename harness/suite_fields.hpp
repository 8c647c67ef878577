#pragma once

#include <optional>

#include "harness/fields.hpp"
#include "harness/suite_values.hpp"
#include "harness/yaml.hpp"

namespace cutover::detail {

// A kind's field read from its node and checked against the field's declaration (type, range,
// choices, emptiness, the databases the suite declares), with the loader's uniform messages.
std::optional<FieldValue> field_value(ValueReader& reader, const FieldSpec& field,
                                      const yaml::Node& node, const FileContext& context);

}  // namespace cutover::detail
