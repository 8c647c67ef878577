#include "checks/database/checksum.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/steady_timer.hpp>

#include "checks/database/attempt.hpp"

namespace cutover::database {

namespace {

// Localisation queries in flight at once (each on both sides); bounds the memory they hold.
constexpr std::size_t kLocalisingAtOnce = 4;

const char* side_name(std::size_t side) {
  return side == 0 ? "source" : "target";
}

class ChecksumAttempt : public Attempt<ChecksumAttempt> {
 public:
  ChecksumAttempt(std::shared_ptr<ChecksumEngine> engine, ChecksumSettings settings,
                  CheckContext& context, Completion done)
      : Attempt(context, std::move(done)),
        engine_(std::move(engine)),
        settings_(std::move(settings)),
        timer_(context.io),
        localisation_(settings_.max_diffs) {}

  void start() {
    if (!watch()) return;
    pending_ = 2;
    for (std::size_t side = 0; side < 2; ++side) {
      engine_->list_tables(job_context(), side,
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
    engine_->stop();
  }

 private:
  void fail(std::size_t side, const Error& error) {
    finish(CheckResult::error(fmt::format("{}: {}", side_name(side), error.message)));
  }

  void describe() {
    TableSelection selection =
        select_tables(settings_.tables, settings_.exclude, {&listed_[0], &listed_[1]});
    unmatched_ = std::move(selection.unmatched);
    std::vector<Table> tables;
    for (const std::string& name : selection.names) {
      const std::size_t dot = name.find('.');
      tables.push_back({.schema = name.substr(0, dot), .name = name.substr(dot + 1)});
      compares_.push_back({.name = name});
    }
    engine_->select(tables);
    pending_ = tables.size() * 2;
    if (pending_ == 0) return report();
    for (std::size_t t = 0; t < tables.size(); ++t) {
      for (std::size_t side = 0; side < 2; ++side) {
        engine_->describe(job_context(), t, side,
                          then([side](ChecksumAttempt& self, Expected<void> described) {
                            if (!described) return self.fail(side, described.error());
                            if (--self.pending_ == 0) self.plan();
                          }));
      }
    }
  }

  void plan() {
    for (std::size_t t = 0; t < compares_.size(); ++t) {
      if (auto error = engine_->plan(t, compares_[t]))
        return finish(CheckResult::error(std::move(*error)));
    }
    scan();
  }

  // Fingerprints of every segment of every planned table, both sides at once.
  void scan() {
    pending_ = 2;
    for (std::size_t side = 0; side < 2; ++side) {
      engine_->scan(job_context(), side, compares_,
                    then([side](ChecksumAttempt& self, Expected<std::vector<Segments>> segments) {
                      if (!segments) return self.fail(side, segments.error());
                      self.scanned_[side] = std::move(segments).value();
                      if (--self.pending_ == 0) self.compare();
                    }));
    }
  }

  void compare() {
    for (std::size_t t = 0; t < compares_.size(); ++t) {
      if (!compares_[t].planned) continue;
      compare_segments(compares_[t], {std::move(scanned_[0].at(t)), std::move(scanned_[1].at(t))});
      localisation_.queue_table(compares_, t, [this, t](std::int64_t bucket) {
        return engine_->integer_range(t, bucket);
      });
    }
    scanned_ = {};
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
    auto found = std::make_shared<std::array<Fetched, 2>>();
    auto remaining = std::make_shared<int>(2);
    for (std::size_t side = 0; side < 2; ++side) {
      engine_->fetch(
          job_context(), *work, side,
          then([work, found, remaining, side](ChecksumAttempt& self, Expected<Fetched> fetched) {
            if (!fetched) return self.fail(side, fetched.error());
            (*found)[side] = std::move(fetched).value();
            if (--*remaining > 0) return;
            --self.in_flight_;
            self.localisation_.settle(self.compares_, *work, std::move(*found),
                                      self.engine_->columns(work->table));
            self.localise();
          }));
    }
  }

  void localised() {
    const bool differs = std::any_of(compares_.begin(), compares_.end(),
                                     [](const auto& table) { return table.differences.any(); });
    if (!settings_.recheck || rechecked_ || !differs) return report();
    rechecked_ = true;
    timer_.expires_after(*settings_.recheck);
    timer_.async_wait(then([](ChecksumAttempt& self, boost::system::error_code error) {
      if (error) return;
      for (TableCompare& table : self.compares_)
        prepare_recheck(table);
      self.localisation_.clear();
      self.scan();
    }));
  }

  void report() {
    std::optional<Duration> rechecked;
    if (rechecked_) rechecked = settings_.recheck;
    finish(summarise(compares_, unmatched_,
                     {.max_diffs = settings_.max_diffs, .rechecked = rechecked}));
  }

  std::shared_ptr<ChecksumEngine> engine_;
  ChecksumSettings settings_;
  boost::asio::steady_timer timer_;
  std::array<std::vector<Table>, 2> listed_;
  std::vector<std::string> unmatched_;
  std::vector<TableCompare> compares_;  // by table
  std::array<std::vector<Segments>, 2> scanned_;
  Localisation localisation_;
  std::size_t in_flight_ = 0;
  std::size_t pending_ = 0;
  bool rechecked_ = false;
};

}  // namespace

void start_checksum(std::shared_ptr<ChecksumEngine> engine, ChecksumSettings settings,
                    CheckContext& context, Completion done) {
  std::make_shared<ChecksumAttempt>(std::move(engine), std::move(settings), context,
                                    std::move(done))
      ->start();
}

}  // namespace cutover::database
