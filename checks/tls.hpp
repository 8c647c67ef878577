#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct TlsTarget;
}  // namespace detail

// The `tls` kind: one handshake with host:port (or a connect_to address under the host's name)
// that measures the certificate and the negotiated protocol, and asserts on them; separate
// probe handshakes check that the server refuses protocol versions and ciphers it must not
// accept.
class TlsCheck : public Check {
 public:
  static KindSpec spec();

  explicit TlsCheck(Fields& fields);
  ~TlsCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::TlsTarget> target_;  // shared with attempts still in flight
};

}  // namespace cutover
