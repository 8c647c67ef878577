// A composition root like harness/main.cpp, for a team that adds its own check kind: the
// built-in kinds and reporters, plus `file_contains`. Everything else is the stock command line:
// `cutover-custom run`, `cutover-custom kinds`.

#include <exception>
#include <iostream>

#include "checks/builtin.hpp"
#include "file_contains.hpp"
#include "harness/cli.hpp"
#include "reports/builtin.hpp"

int main(int argc, char** argv) {
  try {
    cutover::Registry registry;
    cutover::register_builtin_checks(registry);
    registry.add<cutover::examples::FileContainsCheck>("file_contains");
    cutover::Extensions extensions;
    extensions.registry = &registry;
    extensions.report_formats = cutover::builtin_report_formats();
    extensions.make_console = cutover::make_console_reporter;
    extensions.automatic_reports = cutover::automatic_reports;
    return cutover::run_cli(argc, argv, extensions);
  } catch (const std::exception& e) {
    std::cerr << "cutover-custom: internal error: " << e.what() << "\n";
    return cutover::kExitInternal;
  }
}
