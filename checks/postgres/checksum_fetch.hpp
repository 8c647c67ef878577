#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "checks/database/localise.hpp"
#include "checks/postgres/checksum_sql.hpp"
#include "checks/postgres/pool.hpp"

// The localisation queries of postgres.checksum: what one side runs for a unit of work.
namespace cutover::postgres::checksum {

// The SQL `side` (0 source, 1 target) runs for `work` on the table of `plan`.
std::string work_sql(const TablePlan& plan, const database::Work& work, std::size_t side);

// Runs `query` (from work_sql for a work of `type`) in a read-only transaction and reads what it
// found; rows have the `key` columns, their row hash, and `columns` column hashes.
database::Fetched fetch(Session& session, database::Work::Type type,
                        const std::vector<std::string>& key, std::size_t columns,
                        const std::string& query);

}  // namespace cutover::postgres::checksum
