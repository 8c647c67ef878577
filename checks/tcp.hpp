#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct TcpTarget;
}  // namespace detail

// The `tcp` kind: connects to host:port and checks that the port is open, or that it is
// closed: refused (the host answers with a reset) or filtered (no answer, as behind a firewall
// that drops packets).
class TcpCheck : public Check {
 public:
  static KindSpec spec();

  explicit TcpCheck(Fields& fields);
  ~TcpCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::TcpTarget> target_;  // shared with attempts still in flight
};

}  // namespace cutover
