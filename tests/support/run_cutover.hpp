#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "loopback/process.hpp"

namespace cutover::test {

// Runs the cutover binary built with the tests to the end.
loopback::ProcessResult run_cutover(const std::vector<std::string>& arguments,
                                    const std::map<std::string, std::string>& environment = {},
                                    const std::filesystem::path& working_directory = {});

}  // namespace cutover::test
