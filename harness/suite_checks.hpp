#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "harness/plan.hpp"
#include "harness/registry.hpp"
#include "harness/suite_values.hpp"
#include "harness/yaml.hpp"

namespace cutover::detail {

// Reads the items of `checks:` into the plan: the common keys, the kind, and the kind's own
// fields read against its declaration; then the kind builds the check from them.
class CheckReader {
 public:
  CheckReader(ValueReader& reader, const Registry& registry, Plan& plan)
      : reader_(reader), registry_(registry), plan_(plan) {}

  void read_check(const yaml::Node& node, const FileContext& context);

 private:
  // The kind-specific fields of one check as read so far.
  struct KindValues {
    std::map<std::string, FieldValue, std::less<>> values;
    std::map<std::string, SourceLocation, std::less<>> locations;
    std::set<std::string, std::less<>> invalid;  // present but wrong: not also "missing"
  };

  bool read_name(const std::vector<Entry>& entries, const yaml::Node& node,
                 const FileContext& context, PlannedCheck& check);
  const Kind* read_kind(const std::vector<Entry>& entries, const yaml::Node& node,
                        const FileContext& context, const std::string& label, PlannedCheck& check);
  bool read_keys(const std::vector<Entry>& entries, const FileContext& context,
                 const std::string& label, const Kind* kind, PlannedCheck& check,
                 KindValues& kind_values);
  bool read_kind_field(const Entry& entry, const FileContext& context, const std::string& label,
                       const Kind& kind, KindValues& kind_values);
  bool read_common_key(const Entry& entry, const FileContext& context, PlannedCheck& check);
  bool has_required_fields(const yaml::Node& node, const FileContext& context,
                           const std::string& label, const Kind& kind,
                           const KindValues& kind_values);
  void build(PlannedCheck check, const Kind& kind, KindValues kind_values,
             const std::string& label);

  ValueReader& reader_;
  const Registry& registry_;
  Plan& plan_;
  std::map<std::pair<std::string, std::string>, SourceLocation> names_;  // (suite, check name)
};

}  // namespace cutover::detail
