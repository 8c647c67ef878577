#pragma once

#include <string>
#include <string_view>

#include "harness/registry.hpp"
#include "harness/suite.hpp"

namespace cutover::test {

// Loads suite text with the built-in kinds, as `cutover run --dry-run` does, and judges how it
// ended: every input must end loaded or refused with clear diagnostics. Shared by the mutation
// test (tests/harness/loader_fuzz_test.cpp) and the libFuzzer target (tests/fuzz/).
class LoaderFuzzer {
 public:
  // `file` names the suite; includes resolve beside it.
  explicit LoaderFuzzer(std::string file);

  // "" when `text` loaded, or was refused with diagnostics that each have a place and a message
  // free of control characters; otherwise what went wrong, such as an exception escaping the
  // loader (the CLI's exit 3).
  std::string judge(std::string_view text);

 private:
  Registry registry_;
  LoadOptions options_;
  std::string file_;
};

}  // namespace cutover::test
