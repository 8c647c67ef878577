#include "harness/result.hpp"

namespace cutover {

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::passed:
      return "passed";
    case Outcome::failed:
      return "failed";
    case Outcome::error:
      return "error";
    case Outcome::skipped:
      return "skipped";
  }
  return "unknown";
}

CheckResult CheckResult::passed(std::string message) {
  return {Outcome::passed, std::move(message), {}, {}};
}

CheckResult CheckResult::failed(std::string message) {
  return {Outcome::failed, std::move(message), {}, {}};
}

CheckResult CheckResult::error(std::string message) {
  return {Outcome::error, std::move(message), {}, {}};
}

}  // namespace cutover
