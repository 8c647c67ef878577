#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct FrozenTarget;
}  // namespace detail

// The `postgres.frozen` kind: the change freeze on `database` is real. It reads the write
// counters of its tables (pg_stat_user_tables n_tup_ins/n_tup_upd/n_tup_del; `tables`/`exclude`
// narrow them, a partition counts with its partitioned table) and the WAL position, waits
// `window` on the event loop (no thread is held), and reads them again; every 500ms between it
// lists the database's sessions (pg_stat_activity): those of the `roles` listed, and any session
// holding an open write transaction, fail the check. WAL is cluster-wide, so it only fails the
// check past `max_wal_bytes`; the database-wide counters of pg_stat_database are reported, not
// judged (catalog writes and maintenance move them).
//
// PostgreSQL 15 sessions publish their counters at most once a second, and an idle session up to
// 10s after its last write: writes in the window's last second may show only in a later run, and
// writes made up to 10s before the window may show in it. Start the check 10s into the freeze.
class PostgresFrozenCheck : public Check {
 public:
  static KindSpec spec();

  explicit PostgresFrozenCheck(Fields& fields);
  ~PostgresFrozenCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::FrozenTarget> target_;
};

}  // namespace cutover
