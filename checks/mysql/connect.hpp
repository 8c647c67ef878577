#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct MysqlConnectTarget;
}  // namespace detail

// `db.connect` on a MySQL/MariaDB database: opens a fresh connection (reachable, authenticates),
// and checks the server's version, global variables as SHOW GLOBAL VARIABLES gives them, TLS
// (in use, its version, and a connection with ssl-mode=DISABLED refused), and the
// authentication plugin of the connecting user.
class MysqlConnectCheck : public Check {
 public:
  static KindSpec spec();

  explicit MysqlConnectCheck(Fields& fields);
  ~MysqlConnectCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::MysqlConnectTarget> target_;
};

}  // namespace cutover
