#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "loopback/process.hpp"
#include "loopback/temp_dir.hpp"

// Headless Chromium for the HTML report's tests: what the page looks like once a browser laid it
// out and ran its script.
namespace cutover::test {

// The browser, found on PATH as `chromium` (Debian's package; scripts/setup.sh installs it), or
// "" when it is not there.
std::string find_chromium();

// Chromium, headless, with its own profile in `profile`, run to the end with `arguments`.
loopback::ProcessResult run_chromium(const std::string& chromium, const loopback::TempDir& profile,
                                     std::vector<std::string> arguments);

// Where tests keep files for people to look at (screenshots): $CUTOVER_TEST_ARTIFACTS, or
// test-artifacts in the working folder (ctest runs in the build's tests folder). Made if missing.
std::filesystem::path artifacts_folder();

// Opens a copy of `page` at a `width`×`height` viewport (exactly: throws when Chromium cannot
// give it), runs the JavaScript expression `probe` after the page's own script, and returns the
// expression's value (JSON). The copy is written
// beside `page`, so `page`'s folder must be writable.
nlohmann::json probe_page(const std::string& chromium, const loopback::TempDir& profile,
                          const std::filesystem::path& page, std::string_view probe, int width,
                          int height);

}  // namespace cutover::test
