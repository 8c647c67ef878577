#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct SmokeTarget;
}  // namespace detail

// The `postgres.smoke` kind: SQL steps run in one read-write transaction on `database`, each
// with optional assertions on its result (expect, rows, empty). The first failing step stops
// the run. The transaction is rolled back at the end unless `commit: true`; the only check kind
// allowed to write. The session is closed afterwards, so nothing a step did to it (SET,
// advisory locks) reaches the pool.
class PostgresSmokeCheck : public Check {
 public:
  static KindSpec spec();

  explicit PostgresSmokeCheck(Fields& fields);
  ~PostgresSmokeCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::SmokeTarget> target_;
};

}  // namespace cutover
