#pragma once

#include <memory>

#include "checks/database/checksum.hpp"
#include "checks/postgres/checksum_target.hpp"

namespace cutover::postgres::checksum {

// PostgreSQL's side of a table checksum (checks/database/checksum.hpp) for one attempt of a
// postgres.checksum check: the catalog reads, the plan of each table, the scans over ctid ranges
// in one exported snapshot per side, and the localisation queries.
std::shared_ptr<database::ChecksumEngine> make_engine(
    std::shared_ptr<const ::cutover::detail::ChecksumTarget> target);

}  // namespace cutover::postgres::checksum
