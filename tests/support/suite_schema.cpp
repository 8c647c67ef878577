#include "tests/support/suite_schema.hpp"

#include <stdexcept>

#include "loopback/temp_dir.hpp"

namespace cutover::test {

loopback::ProcessResult validate_suites(const std::filesystem::path& schema,
                                        const std::vector<std::filesystem::path>& files) {
  std::vector<std::string> arguments{
      CUTOVER_PYTHON3, std::string(CUTOVER_SOURCE_DIR) + "/tests/support/validate_suites.py",
      schema.string()};
  for (const std::filesystem::path& file : files)
    arguments.push_back(file.string());
  return loopback::run_command(arguments);
}

loopback::ProcessResult validate_suites_with(const std::string& binary,
                                             const std::vector<std::filesystem::path>& files) {
  const loopback::ProcessResult printed = loopback::run_command({binary, "schema"});
  if (printed.exit_code != 0) {
    throw std::runtime_error(binary + " schema failed: " + printed.err);
  }
  const loopback::TempDir folder;
  return validate_suites(folder.write("suite.schema.json", printed.out), files);
}

}  // namespace cutover::test
