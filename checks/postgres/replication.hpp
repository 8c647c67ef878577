#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct ReplicationTarget;
}  // namespace detail

// The `postgres.replication` kind: a logical replication from `source` to `target` has caught
// up. On the target, the subscription (named, or the only one of the target's database) is
// enabled and every table of it is in state `r` (ready); on the source, the subscription's slot
// has confirmed all WAL written up to the start of the check but `max_lag_bytes`, and, with
// `max_lag`, the subscriber last reported being caught up at most that long ago. With
// `retry: until:` this waits for the target to catch up before a cutover.
//
// With `mode: physical`, `target` is a streaming standby of `source`: it must be in recovery
// (pg_is_in_recovery()), and the WAL the source had written at the start of the check
// (pg_current_wal_lsn(), read first) less what the standby has replayed
// (pg_last_wal_replay_lsn()) is the lag in bytes; lag in time is 0 when none is pending, else
// the age of the last transaction the standby replayed (an upper bound).
class PostgresReplicationCheck : public Check {
 public:
  static KindSpec spec();

  explicit PostgresReplicationCheck(Fields& fields);
  ~PostgresReplicationCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::ReplicationTarget> target_;
};

}  // namespace cutover
