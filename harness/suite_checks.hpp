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

  // A check with mistakes joins the plan too, without its Check: other checks may name it in
  // `needs`, and its own needs are judged with the others'. The plan is then only for
  // validate_needs: loading fails.
  void read_check(const yaml::Node& node, const FileContext& context);

  // Once every check is read, before validate_needs: reports each `needs` naming no check of the
  // suite (with the closest name), then leaves out the needs whose phase order cannot be judged,
  // those of and on a check whose phase is a mistake.
  void resolve_needs();

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
  // Sets check.check; false after a mistake (reported).
  bool build(PlannedCheck& check, const Kind& kind, KindValues kind_values,
             const std::string& label);

  ValueReader& reader_;
  const Registry& registry_;
  Plan& plan_;
  std::map<std::pair<std::string, std::string>, SourceLocation> names_;  // (suite, check name)
  std::set<std::pair<std::string, std::string>> unknown_phases_;  // checks whose phase is wrong
};

}  // namespace cutover::detail
