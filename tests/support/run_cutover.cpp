#include "tests/support/run_cutover.hpp"

namespace cutover::test {

loopback::ProcessResult run_cutover(const std::vector<std::string>& arguments,
                                    const std::map<std::string, std::string>& environment,
                                    const std::filesystem::path& working_directory) {
  std::vector<std::string> argv{CUTOVER_BINARY};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  loopback::Process process(argv, environment, working_directory);
  return process.wait();
}

}  // namespace cutover::test
