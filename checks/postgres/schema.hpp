#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct SchemaTarget;
}  // namespace detail

// The `postgres.schema` kind: the schema of `source` against `target`, for the schemas
// `schemas` names (globs allowed; one that matches no schema on either side fails) and the
// extensions of both databases. Compared, by name: schemas, tables (kind), columns (type, NOT NULL,
// default, identity, generated expression; column order does not matter), constraints (primary key,
// unique, foreign key, check, exclusion, by table and name, pg_get_constraintdef), indexes not
// behind a constraint (by definition with the index name left out: a renamed index is the same
// index), views and materialized views (pg_get_viewdef), sequences (type, start, increment,
// minimum, maximum, cycle) and extensions (name and version). Objects that belong to an extension
// are left out.
//
// With check_sequences, each sequence on the target owned by a column (serial, identity, OWNED
// BY) must be ahead of that column: the value nextval would give must exceed max(column), or the
// first insert after a cutover fails on a duplicate key.
//
// `ignore` lists globs over object identities, written kind:identity (or identity alone, any
// kind): schema:sales, table:public.audit_log, column:public.orders.legacy_col,
// constraint:public.orders.orders_total_check, index:public.orders_tmp_idx, view:public.v,
// sequence:public.s, extension:plpgsql. Ignoring a table ignores its columns, constraints,
// indexes and owned sequences. A table missing on one side is one difference (not one per
// column), as is a missing schema. Each side is read in one read-only job (one transaction),
// both at once; the target's job also reads each owned sequence and max(column).
class PostgresSchemaCheck : public Check {
 public:
  static KindSpec spec();

  explicit PostgresSchemaCheck(Fields& fields);
  ~PostgresSchemaCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::SchemaTarget> target_;
};

}  // namespace cutover
