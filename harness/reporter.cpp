#include "harness/reporter.hpp"

#include <exception>
#include <stdexcept>
#include <utility>

namespace cutover {

std::size_t RunSummary::count(Outcome outcome) const {
  auto it = counts.find(outcome);
  return it == counts.end() ? 0 : it->second;
}

std::size_t RunSummary::total() const {
  std::size_t total = 0;
  for (const auto& [outcome, count] : counts)
    total += count;
  return total;
}

Reporter::~Reporter() = default;
void Reporter::run_started(const RunInfo&) {}
void Reporter::phase_started(const std::string&, std::size_t) {}
void Reporter::check_started(const PlannedCheck&) {}
void Reporter::attempt_finished(const PlannedCheck&, const Attempt&, const AttemptProgress&) {}
void Reporter::check_finished(const PlannedCheck&, const Result&) {}
void Reporter::run_finished(const RunInfo&, const RunSummary&) {}

void ReporterFanOut::add(std::unique_ptr<Reporter> reporter) {
  reporters_.push_back(std::move(reporter));
}

void ReporterFanOut::run_started(const RunInfo& info) {
  for (auto& reporter : reporters_)
    reporter->run_started(info);
}

void ReporterFanOut::phase_started(const std::string& phase, std::size_t checks) {
  for (auto& reporter : reporters_)
    reporter->phase_started(phase, checks);
}

void ReporterFanOut::check_started(const PlannedCheck& check) {
  for (auto& reporter : reporters_)
    reporter->check_started(check);
}

void ReporterFanOut::attempt_finished(const PlannedCheck& check, const Attempt& attempt,
                                      const AttemptProgress& progress) {
  for (auto it = reporters_.rbegin(); it != reporters_.rend(); ++it) {
    (*it)->attempt_finished(check, attempt, progress);
  }
}

void ReporterFanOut::check_finished(const PlannedCheck& check, const Result& result) {
  for (auto it = reporters_.rbegin(); it != reporters_.rend(); ++it) {
    (*it)->check_finished(check, result);
  }
}

void ReporterFanOut::run_finished(const RunInfo& info, const RunSummary& summary) {
  // Every reporter gets its chance to write, even when an earlier one fails; the first failure
  // is rethrown afterwards.
  std::exception_ptr first_failure;
  for (auto it = reporters_.rbegin(); it != reporters_.rend(); ++it) {
    try {
      (*it)->run_finished(info, summary);
    } catch (const std::exception&) {
      if (!first_failure) first_failure = std::current_exception();
    }
  }
  if (first_failure) std::rethrow_exception(first_failure);
}

}  // namespace cutover
