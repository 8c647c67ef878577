#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct MysqlSmokeTarget;
}  // namespace detail

// `db.smoke` on a MySQL/MariaDB database: SQL steps run in one START TRANSACTION READ WRITE
// (InnoDB), each with optional assertions on its result (expect, rows, empty); the first failing
// step stops the run, and the transaction is always rolled back, on every path (a failing step,
// an SQL error, the deadline, a cancel). Statements that would end or nest the transaction,
// MySQL's implicit commits among them (DDL, LOCK TABLES, GRANT, ...), are refused at load; a
// step that ends it anyway (a CALL whose procedure commits) fails the check. The connection is
// closed afterwards, so nothing a step did to the session (SET, temporary tables) reaches the
// pool.
class MysqlSmokeCheck : public Check {
 public:
  static KindSpec spec();

  explicit MysqlSmokeCheck(Fields& fields);
  ~MysqlSmokeCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::MysqlSmokeTarget> target_;
};

}  // namespace cutover
