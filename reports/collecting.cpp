#include "reports/collecting.hpp"

#include <utility>

#include "harness/output_file.hpp"

namespace cutover::detail {

CollectingBase::CollectingBase(std::filesystem::path path) : path_(std::move(path)) {}

CollectingBase::~CollectingBase() = default;

void CollectingBase::check_started(const PlannedCheck& check) {
  order_.see(check);
}

void CollectingBase::save(const std::function<void(std::ostream&)>& write_report) {
  write_output_file(path_, write_report);
}

}  // namespace cutover::detail
