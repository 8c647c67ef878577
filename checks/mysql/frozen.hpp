#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct MysqlFrozenTarget;
}  // namespace detail

// `db.frozen` on a MySQL/MariaDB server: the change freeze is real. It reads the binary log
// position (SHOW MASTER STATUS) and GTID position (MariaDB's gtid_binlog_pos, MySQL's
// gtid_executed) and, on MariaDB, InnoDB's transaction counter (Innodb_max_trx_id, which moves
// with every write, also one kept out of the binary log), waits `window` on the event loop (no
// thread is held), and reads them again; all must be unchanged.
// Every 500ms between, it reads read_only (required ON unless require_read_only: false), the
// sessions of the `users` listed (information_schema.PROCESSLIST) and the open write
// transactions (information_schema.INNODB_TRX: rows modified, or locks held by a transaction
// not read-only), and any of them fails the check. Cutover's own connection is left out; its
// other sessions are read-only and write nothing. The binary log and the counter are
// server-wide: a write to any database of the server counts. INNODB_TRX is a copy InnoDB
// refreshes at most every 100ms: a transaction that ended just before a reading may still count.
class MysqlFrozenCheck : public Check {
 public:
  static KindSpec spec();

  explicit MysqlFrozenCheck(Fields& fields);
  ~MysqlFrozenCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::MysqlFrozenTarget> target_;
};

}  // namespace cutover
