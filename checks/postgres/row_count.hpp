#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct RowCountTarget;
}  // namespace detail

// The `postgres.row_count` kind: exact row counts (count(*)), either of `source` against
// `target` for the tables `tables` names (names, schema.name, globs like sales.*), or of one
// `database` against the numbers in `expect`. A table missing on either side fails the check.
// Tables are counted in parallel over each database's pool, both databases at once.
class PostgresRowCountCheck : public Check {
 public:
  static KindSpec spec();

  explicit PostgresRowCountCheck(Fields& fields);
  ~PostgresRowCountCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::RowCountTarget> target_;
};

}  // namespace cutover
