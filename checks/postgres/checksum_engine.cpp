#include "checks/postgres/checksum_engine.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "checks/postgres/checksum_fetch.hpp"
#include "checks/postgres/checksum_plan.hpp"
#include "checks/postgres/checksum_scan.hpp"
#include "checks/postgres/pool.hpp"
#include "checks/postgres/tables.hpp"

namespace cutover::postgres::checksum {

namespace {

using ::cutover::detail::ChecksumTarget;
using database::Reply;

class PostgresChecksum : public database::ChecksumEngine,
                         public std::enable_shared_from_this<PostgresChecksum> {
 public:
  explicit PostgresChecksum(std::shared_ptr<const ChecksumTarget> target)
      : target_(std::move(target)), databases_{target_->source, target_->target} {}

  void list_tables(CheckContext& context, std::size_t side,
                   Reply<std::vector<database::Table>> reply) override {
    postgres::run<std::vector<database::Table>>(
        context, databases_[side],
        [](Session& session) {
          std::vector<Table> listed = postgres::list_tables(session);
          return std::vector<database::Table>(listed.begin(), listed.end());
        },
        std::move(reply));
  }

  void select(const std::vector<database::Table>& tables) override {
    for (const database::Table& table : tables)
      tables_.push_back({.table = {table}, .info = {}, .plan = {}});
  }

  void describe(CheckContext& context, std::size_t t, std::size_t side,
                Reply<void> reply) override {
    postgres::run<TableInfo>(
        context, databases_[side],
        [table = tables_[t].table, where = where_condition(*target_), rows = target_->segment_rows](
            Session& session) { return describe_table(session, table, where, rows); },
        [self = shared_from_this(), t, side, reply = std::move(reply)](Expected<TableInfo> info) {
          if (!info) return reply(outcome::failure(info.error()));
          self->tables_[t].info[side] = std::move(info).value();
          reply(outcome::success());
        });
  }

  std::optional<std::string> plan(std::size_t t, database::TableCompare& compare) override {
    return plan_table(*target_, tables_[t], compare);
  }

  void scan(CheckContext& context, std::size_t side,
            const std::vector<database::TableCompare>& tables,
            Reply<std::vector<database::Segments>> reply) override {
    const int connections = databases_[side]->max_connections;
    auto scan = plan_scan(tables_, tables, side, connections);
    scans_[side] = scan;
    if (scan->chunks.empty()) return reply(std::move(scan->results));
    const int jobs = std::min<int>(connections, static_cast<int>(scan->chunks.size()));
    // Answered once: by the first job that fails, or by the last to end.
    auto answer = std::make_shared<Reply<std::vector<database::Segments>>>(std::move(reply));
    auto pending = std::make_shared<int>(jobs);
    for (int j = 0; j < jobs; ++j) {
      postgres::run<int>(
          context, databases_[side], [scan](Session& session) { return scan_job(*scan, session); },
          [scan, answer, pending](Expected<int> done) {
            if (*answer == nullptr) return;
            if (!done || --*pending == 0) {
              auto reply = std::exchange(*answer, nullptr);
              if (!done) return reply(outcome::failure(done.error()));
              reply(std::move(scan->results));
            }
          });
    }
  }

  void stop() override {
    for (const auto& scan : scans_) {
      if (scan) stop_scan(*scan);
    }
  }

  std::pair<std::int64_t, std::int64_t> integer_range(std::size_t t,
                                                      std::int64_t bucket) const override {
    const TablePlan& plan = tables_[t].plan;
    return database::integer_segment({.width = plan.width, .offset = plan.offset}, bucket);
  }

  const std::vector<std::string>& columns(std::size_t t) const override {
    return tables_[t].plan.columns;
  }

  void fetch(CheckContext& context, const database::Work& work, std::size_t side,
             Reply<database::Fetched> reply) override {
    const TablePlan& plan = tables_[work.table].plan;
    postgres::run<database::Fetched>(
        context, databases_[side],
        [type = work.type, key = plan.key, columns = plan.columns.size(),
         query = work_sql(plan, work, side)](Session& session) {
          return checksum::fetch(session, type, key, columns, query);
        },
        std::move(reply));
  }

 private:
  std::shared_ptr<const ChecksumTarget> target_;
  std::array<std::shared_ptr<const Database>, 2> databases_;
  std::vector<EngineTable> tables_;  // by the index the compare gives them
  std::array<std::shared_ptr<Scan>, 2> scans_;
};

}  // namespace

std::shared_ptr<database::ChecksumEngine> make_engine(
    std::shared_ptr<const ChecksumTarget> target) {
  return std::make_shared<PostgresChecksum>(std::move(target));
}

}  // namespace cutover::postgres::checksum
