#include "checks/postgres/checksum_attempt.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/steady_timer.hpp>

#include "checks/database/attempt.hpp"
#include "checks/database/compare.hpp"
#include "checks/database/localise.hpp"
#include "checks/postgres/checksum_fetch.hpp"
#include "checks/postgres/checksum_plan.hpp"
#include "checks/postgres/checksum_scan.hpp"
#include "checks/postgres/pool.hpp"
#include "checks/postgres/tables.hpp"

namespace cutover::postgres::checksum {

namespace {

using ::cutover::detail::ChecksumTarget;
using database::Work;

// Localisation queries in flight at once (each on both sides); bounds the memory they hold.
constexpr std::size_t kLocalisingAtOnce = 4;

const char* side_name(std::size_t side) {
  return side == 0 ? "source" : "target";
}

class ChecksumAttempt : public database::Attempt<ChecksumAttempt> {
 public:
  ChecksumAttempt(std::shared_ptr<const ChecksumTarget> target, CheckContext& context,
                  Completion done)
      : Attempt(context, std::move(done)),
        target_(std::move(target)),
        databases_{target_->source, target_->target},
        timer_(context.io),
        localisation_(target_->max_diffs) {}

  void start() {
    if (!watch()) return;
    pending_ = 2;
    for (std::size_t side = 0; side < 2; ++side) {
      postgres::run<std::vector<Table>>(
          job_context(), databases_[side], list_tables,
          then([side](ChecksumAttempt& self, Expected<std::vector<Table>> tables) {
            if (!tables) return self.fail(side, tables.error());
            self.listed_[side] = std::move(tables).value();
            if (--self.pending_ == 0) self.describe();
          }));
    }
  }

  // When the attempt stops: the recheck's wait ends, and scan jobs waiting for one another give
  // up.
  void stop_work() {
    timer_.cancel();
    for (const auto& scan : scans_) {
      if (scan) stop_scan(*scan);
    }
  }

 private:
  void fail(std::size_t side, const Error& error) {
    finish(CheckResult::error(fmt::format("{}: {}", side_name(side), error.message)));
  }

  void describe() {
    TableSelection selection =
        select_tables(target_->tables, target_->exclude, {&listed_[0], &listed_[1]});
    unmatched_ = std::move(selection.unmatched);
    for (const std::string& name : selection.names) {
      const std::size_t dot = name.find('.');
      tables_.push_back(
          {.table = {name.substr(0, dot), name.substr(dot + 1)}, .info = {}, .plan = {}});
      compares_.push_back({.name = name});
    }
    pending_ = tables_.size() * 2;
    if (pending_ == 0) return report();
    for (std::size_t t = 0; t < tables_.size(); ++t) {
      for (std::size_t side = 0; side < 2; ++side) {
        postgres::run<TableInfo>(
            job_context(), databases_[side],
            [table = tables_[t].table, where = where_condition(*target_),
             rows = target_->segment_rows](Session& session) {
              return describe_table(session, table, where, rows);
            },
            then([t, side](ChecksumAttempt& self, Expected<TableInfo> info) {
              if (!info) return self.fail(side, info.error());
              self.tables_[t].info[side] = std::move(info).value();
              if (--self.pending_ == 0) self.plan();
            }));
      }
    }
  }

  void plan() {
    for (std::size_t t = 0; t < tables_.size(); ++t) {
      if (auto error = plan_table(*target_, tables_[t], compares_[t]))
        return finish(CheckResult::error(std::move(*error)));
    }
    scan();
  }

  // Fingerprints of every segment of every planned table, both sides at once.
  void scan() {
    pending_ = 0;
    for (std::size_t side = 0; side < 2; ++side) {
      const int connections = databases_[side]->max_connections;
      auto scan = plan_scan(tables_, compares_, side, connections);
      scans_[side] = scan;
      if (scan->chunks.empty()) continue;
      const int jobs_wanted = std::min<int>(connections, static_cast<int>(scan->chunks.size()));
      pending_ += static_cast<std::size_t>(jobs_wanted);
      for (int j = 0; j < jobs_wanted; ++j) {
        postgres::run<int>(
            job_context(), databases_[side],
            [scan](Session& session) { return scan_job(*scan, session); },
            then([side](ChecksumAttempt& self, Expected<int> done) {
              if (!done) return self.fail(side, done.error());
              if (--self.pending_ == 0) self.compare();
            }));
      }
    }
    if (pending_ == 0) compare();
  }

  void compare() {
    for (std::size_t t = 0; t < tables_.size(); ++t) {
      if (!compares_[t].planned) continue;
      database::compare_segments(
          compares_[t], {std::move(scans_[0]->results[t]), std::move(scans_[1]->results[t])});
      const TablePlan& plan = tables_[t].plan;
      localisation_.queue_table(compares_, t, [&plan](std::int64_t bucket) {
        return database::integer_segment({.width = plan.width, .offset = plan.offset}, bucket);
      });
    }
    scans_ = {};
    localise();
  }

  void localise() {
    while (in_flight_ < kLocalisingAtOnce && !localisation_.empty()) {
      ++in_flight_;
      run_work(std::make_shared<Work>(localisation_.next()));
    }
    if (in_flight_ == 0 && localisation_.empty()) localised();
  }

  // Both sides' queries for `work`; settled when both have answered.
  void run_work(const std::shared_ptr<Work>& work) {
    const TablePlan& plan = tables_[work->table].plan;
    auto found = std::make_shared<std::array<database::Fetched, 2>>();
    auto remaining = std::make_shared<int>(2);
    for (std::size_t side = 0; side < 2; ++side) {
      postgres::run<database::Fetched>(
          job_context(), databases_[side],
          [type = work->type, key = plan.key, columns = plan.columns.size(),
           query = work_sql(plan, *work, side)](Session& session) {
            return fetch(session, type, key, columns, query);
          },
          then([work, found, remaining, side](ChecksumAttempt& self,
                                              Expected<database::Fetched> fetched) {
            if (!fetched) return self.fail(side, fetched.error());
            (*found)[side] = std::move(fetched).value();
            if (--*remaining > 0) return;
            --self.in_flight_;
            self.localisation_.settle(self.compares_, *work, std::move(*found),
                                      self.tables_[work->table].plan.columns);
            self.localise();
          }));
    }
  }

  void localised() {
    const bool differs = std::any_of(compares_.begin(), compares_.end(),
                                     [](const auto& table) { return table.differences.any(); });
    if (!target_->recheck || rechecked_ || !differs) return report();
    rechecked_ = true;
    timer_.expires_after(*target_->recheck);
    timer_.async_wait(then([](ChecksumAttempt& self, boost::system::error_code error) {
      if (error) return;
      for (database::TableCompare& table : self.compares_)
        database::prepare_recheck(table);
      self.localisation_.clear();
      self.scan();
    }));
  }

  void report() {
    std::optional<Duration> rechecked;
    if (rechecked_) rechecked = target_->recheck;
    finish(database::summarise(compares_, unmatched_,
                               {.max_diffs = target_->max_diffs, .rechecked = rechecked}));
  }

  std::shared_ptr<const ChecksumTarget> target_;
  std::array<std::shared_ptr<const Database>, 2> databases_;
  boost::asio::steady_timer timer_;
  std::array<std::vector<Table>, 2> listed_;
  std::vector<std::string> unmatched_;
  std::vector<EngineTable> tables_;
  std::vector<database::TableCompare> compares_;  // by table, as tables_
  std::array<std::shared_ptr<Scan>, 2> scans_;
  database::Localisation localisation_;
  std::size_t in_flight_ = 0;
  std::size_t pending_ = 0;
  bool rechecked_ = false;
};

}  // namespace

void start_attempt(std::shared_ptr<const ChecksumTarget> target, CheckContext& context,
                   Completion done) {
  std::make_shared<ChecksumAttempt>(std::move(target), context, std::move(done))->start();
}

}  // namespace cutover::postgres::checksum
