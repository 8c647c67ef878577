// libFuzzer over the suite loader, with the judge of the mutation test
// (tests/harness/loader_fuzz_test.cpp): any input must end loaded or as clear diagnostics.
// Built with clang and -DCUTOVER_FUZZ=ON (tests/CMakeLists.txt says how); run it on the corpus:
//   loader_fuzzer -max_total_time=60 -timeout=2 tests/data/fuzz/loader

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "tests/support/loader_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Includes resolve beside this name, in a folder that does not exist: none is read.
  static cutover::test::LoaderFuzzer fuzzer("/nonexistent/cutover-fuzz/suite.yaml");
  const std::string problem =
      fuzzer.judge(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!problem.empty()) {
    std::fprintf(stderr, "loader fuzz: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
