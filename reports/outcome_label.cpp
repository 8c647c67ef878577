#include "reports/outcome_label.hpp"

namespace cutover {

std::string_view outcome_label(Outcome outcome) {
  switch (outcome) {
    case Outcome::passed:
      return "PASS";
    case Outcome::failed:
      return "FAIL";
    case Outcome::error:
      return "ERROR";
    case Outcome::skipped:
      return "SKIP";
  }
  return "?";
}

}  // namespace cutover
