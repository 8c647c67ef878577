#pragma once

#include <filesystem>
#include <string>

#include "loopback/process.hpp"

namespace cutover::test {

// What xmllint says is wrong with the JUnit file at `path`: checked against the project's own
// schema (tests/data/junit.xsd), and against the Jenkins xUnit plugin's schema as well where this
// machine has it (../shared/junit beside the sources). Empty when the file is valid.
inline std::string junit_schema_errors(const std::filesystem::path& path) {
  std::string errors;
  const auto check = [&](const std::string& schema) {
    const loopback::ProcessResult result =
        loopback::run_command({"/usr/bin/xmllint", "--noout", "--schema", schema, path.string()});
    if (result.exit_code != 0) errors += schema + ": " + result.err + result.out;
  };
  check(CUTOVER_JUNIT_SCHEMA);
  if (std::filesystem::exists(CUTOVER_JENKINS_JUNIT_SCHEMA)) check(CUTOVER_JENKINS_JUNIT_SCHEMA);
  return errors;
}

}  // namespace cutover::test
