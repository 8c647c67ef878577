#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct QueryTarget;
}  // namespace detail

// The `db.query` kind (and `postgres.query`, its PostgreSQL-only form): runs one read-only query
// and asserts on its result: the value of a one-row result (equal to a text, NULL, within numeric
// bounds), the row count, emptiness, or the same rows as the same query on another database, of
// either engine (compared as the servers' text).
//
// Validation never writes. PostgreSQL: the query runs in a read-only transaction that has
// already taken a snapshot (so it cannot be switched to read-write), through the extended
// protocol (so it is one statement: "COMMIT; DELETE ..." is refused), and the transaction is
// rolled back. MySQL/MariaDB: see mysql::run_query.
class QueryCheck : public Check {
 public:
  // db.query's fields; postgres_spec() is postgres.query's, described for PostgreSQL alone.
  static KindSpec spec();
  static KindSpec postgres_spec();

  explicit QueryCheck(Fields& fields);
  ~QueryCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::QueryTarget> target_;  // shared with attempts still in flight
};

}  // namespace cutover
