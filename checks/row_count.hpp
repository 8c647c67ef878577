#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct RowCountTarget;
}  // namespace detail

// The `db.row_count` kind (and `postgres.row_count`, its PostgreSQL-only form): exact row
// counts (COUNT(*)), either of `source` against `target` for the tables `tables` names (names,
// schema.name, globs like sales.*), or of one `database` against the numbers in `expect`. A
// table missing on either side fails the check. Either side may be PostgreSQL or MySQL/MariaDB:
// a name without a schema is in each side's default schema (public, or the database a MySQL DSN
// names), and the source's default schema is the target's. Tables are counted in parallel over
// each database's pool, both databases at once.
class RowCountCheck : public Check {
 public:
  // db.row_count's fields; postgres_spec() is postgres.row_count's, without `estimate`.
  static KindSpec spec();
  static KindSpec postgres_spec();

  explicit RowCountCheck(Fields& fields);
  ~RowCountCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::RowCountTarget> target_;
};

}  // namespace cutover
