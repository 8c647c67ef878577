#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct HttpTarget;
}  // namespace detail

// The `http` kind: one request (or an ordered smoke flow of `steps` sharing a cookie jar) over
// http or https, with assertions on status, headers, body, JSON values and latency. A server
// that answered against the assertions fails the check; one that could not be asked (name not
// resolved, refused, TLS verification, timeout) is an error.
class HttpCheck : public Check {
 public:
  static KindSpec spec();

  explicit HttpCheck(Fields& fields);
  ~HttpCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::HttpTarget> target_;  // shared with attempts still in flight
};

}  // namespace cutover
