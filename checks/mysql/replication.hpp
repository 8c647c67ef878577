#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct MysqlReplicationTarget;
}  // namespace detail

// `db.replication` on MySQL/MariaDB: `target` is a replica of `source` that has caught up. On
// the replica, SHOW REPLICA STATUS (SHOW SLAVE STATUS before MySQL 8.0.22 and MariaDB 10.5) must
// show the IO and SQL threads running; the source's GTID position, read first (MariaDB:
// @@gtid_binlog_pos; MySQL: @@gtid_executed), must be applied on the replica (MariaDB:
// @@gtid_slave_pos reaches every domain's sequence number; MySQL: GTID_SUBSET of the replica's
// gtid_executed) but `max_lag_transactions`; with `max_lag`, the lag in time (0 when caught up,
// else Seconds_Behind_Master) at most that. A replica behind whose threads run is read again
// every 100ms for up to 2s. With `retry: until:` this waits for the replica to catch up before a
// cutover. Reads only: SHOW statements and variables.
class MysqlReplicationCheck : public Check {
 public:
  static KindSpec spec();

  explicit MysqlReplicationCheck(Fields& fields);
  ~MysqlReplicationCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::MysqlReplicationTarget> target_;
};

}  // namespace cutover
