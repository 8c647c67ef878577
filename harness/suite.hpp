#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "harness/diagnostics.hpp"
#include "harness/expected.hpp"
#include "harness/plan.hpp"
#include "harness/registry.hpp"
#include "harness/variables.hpp"

namespace cutover {

// The largest suite file read, unless --max-suite-size says otherwise: far beyond any suite
// written by hand or generated, far below what would exhaust memory.
inline constexpr std::uint64_t kDefaultMaxSuiteBytes = std::uint64_t{16} << 20;

struct LoadOptions {
  Environment environment = process_environment();
  // --var NAME=VALUE: wins over a suite's own vars.
  std::map<std::string, std::string> variables;
  // For a lint that runs nothing (--dry-run, --list): when set, an unset or empty secret is not
  // an error; its name is added here and a placeholder stands for its value.
  std::set<std::string>* unset_secrets = nullptr;
  // Each suite and included file is refused past this many bytes (--max-suite-size).
  std::uint64_t max_file_bytes = kDefaultMaxSuiteBytes;
};

// Reads suite files (YAML, or the same structure in JSON) into one validated plan; "-" reads
// standard input, named "<stdin>" in messages. Only regular files are read, and none past
// options.max_file_bytes (STYLE 29). Every mistake
// in every file is collected, each with file:line:col, and returned together; nothing is thrown
// for a bad suite. Messages are redacted.
Expected<Plan, Diagnostics> load_suites(const std::vector<std::filesystem::path>& files,
                                        const Registry& registry, const LoadOptions& options = {});

// The same for one suite given as text; `file` names it in messages and resolves includes.
Expected<Plan, Diagnostics> load_suite_text(std::string_view text, const std::string& file,
                                            const Registry& registry,
                                            const LoadOptions& options = {});

}  // namespace cutover
