#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "loopback/process.hpp"

namespace cutover::test {

// Validates suite files against a JSON Schema file with python3-jsonschema, as an editor would
// (tests/support/validate_suites.py). Exit code 0 when every file is valid; otherwise stdout has
// one line per mistake, "FILE: path.to.value: message".
loopback::ProcessResult validate_suites(const std::filesystem::path& schema,
                                        const std::vector<std::filesystem::path>& files);

// The same against the schema `binary schema` prints (`cutover schema`).
loopback::ProcessResult validate_suites_with(const std::string& binary,
                                             const std::vector<std::filesystem::path>& files);

}  // namespace cutover::test
