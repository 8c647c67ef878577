#pragma once

#include <memory>

#include "checks/postgres/checksum_target.hpp"
#include "harness/check.hpp"

namespace cutover::postgres::checksum {

// Starts one attempt of a postgres.checksum check: list and describe the tables on both sides,
// plan each, scan both sides for segment fingerprints, localise the differing segments,
// optionally recheck, report. `done` is called once.
void start_attempt(std::shared_ptr<const ::cutover::detail::ChecksumTarget> target,
                   CheckContext& context, Completion done);

}  // namespace cutover::postgres::checksum
