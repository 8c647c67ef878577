#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <vector>

#include "harness/reporter.hpp"
#include "reports/report_order.hpp"

namespace cutover {
namespace detail {

// What CollectingReporter does whatever its entries are: the report order, and writing the file.
class CollectingBase : public Reporter {
 public:
  explicit CollectingBase(std::filesystem::path path);
  ~CollectingBase() override;

  // Called when a check's first attempt starts: fixes its place in the report order.
  void check_started(const PlannedCheck& check) final;

 protected:
  const std::filesystem::path& path() const { return path_; }

  // Called from run_finished: writes the report that `write_report` streams to the path, as
  // write_output_file does (a regular file atomically, a device in place, "-" to standard
  // output). A reporter that must write otherwise (appending) overrides it.
  virtual void save(const std::function<void(std::ostream&)>& write_report);

  ReportOrder order_;

 private:
  std::filesystem::path path_;
};

}  // namespace detail

// The shape of every file reporter (after Catch2's CumulativeReporterBase): collects one Entry per
// finished check, and at run_finished sorts them into the report order and writes the file the
// subclass renders from them. An Entry has `suite`, `phase` and `order` (see ReportOrder) and
// whatever else the report shows; it is made at check_finished, as the plan may be gone later.
template <typename Entry>
class CollectingReporter : public detail::CollectingBase {
 public:
  using CollectingBase::CollectingBase;

  // Called once, before the first check starts: makes room for every selected check.
  void run_started(const RunInfo& info) override {
    order_.reserve(info.selected_checks);
    entries_.reserve(info.selected_checks);
  }

  // Called once per selected check with its final result: keeps the subclass's entry for it.
  void check_finished(const PlannedCheck& check, const Result& result) final {
    const std::size_t order = order_.see(check);
    if (keeps(result)) entries_.push_back(make_entry(check, result, order));
  }

  // Called once, after every check finished: writes the report; throws std::runtime_error when
  // the file cannot be written.
  void run_finished(const RunInfo& info, const RunSummary& summary) final {
    std::vector<Entry*> ordered;
    ordered.reserve(entries_.size());
    for (Entry& entry : entries_) {
      ordered.push_back(&entry);
    }
    ReportOrder::sort(ordered, info);
    save([&](std::ostream& out) { write(out, info, summary, ordered); });
  }

 protected:
  // Called at check_finished: whether the report lists checks with this result (all, unless
  // overridden).
  virtual bool keeps(const Result&) const { return true; }

  // Called at check_finished for each check kept: what the report needs of it.
  virtual Entry make_entry(const PlannedCheck& check, const Result& result, std::size_t order) = 0;

  // Called at run_finished: renders the report to `out`, entries in report order.
  virtual void write(std::ostream& out, const RunInfo& info, const RunSummary& summary,
                     const std::vector<Entry*>& ordered) = 0;

  // The entries kept, in the order checks finished.
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

}  // namespace cutover
