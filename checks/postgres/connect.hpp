#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct ConnectTarget;
}  // namespace detail

// The `postgres.connect` kind: opens a fresh connection to a declared database (reachable,
// authenticates), and checks the server's version, any settings SHOW can read, and that a
// connection without TLS is rejected.
class PostgresConnectCheck : public Check {
 public:
  static KindSpec spec();

  explicit PostgresConnectCheck(Fields& fields);
  ~PostgresConnectCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::ConnectTarget> target_;  // shared with attempts still in flight
};

}  // namespace cutover
