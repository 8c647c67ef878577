#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct DnsTarget;
}  // namespace detail

// The `dns` kind: asks every listed resolver (or the system's) for one name and type, at once,
// and checks every server's answer against the assertions: the answer set, what it contains, the
// CNAME chain, NXDOMAIN, TTLs, the number of answers, and that the servers agree. A server that
// answered against the assertions fails the check; one that could not be asked or answered
// SERVFAIL, REFUSED or garbage, a referral instead of an answer, or a CNAME loop makes it an
// error.
class DnsCheck : public Check {
 public:
  static KindSpec spec();

  explicit DnsCheck(Fields& fields);
  ~DnsCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::DnsTarget> target_;  // shared with attempts still in flight
};

}  // namespace cutover
