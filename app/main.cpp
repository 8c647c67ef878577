// The composition root: the only place that names the built-in check kinds, reporters and the
// demo. Everything else reaches them through the registry and the extension tables.

#include <exception>
#include <iostream>

#include "app/demo.hpp"
#include "checks/builtin.hpp"
#include "harness/cli.hpp"
#include "reports/builtin.hpp"
#include "reports/replay.hpp"

int main(int argc, char** argv) {
  try {
    cutover::Registry registry;
    cutover::register_builtin_checks(registry);
    cutover::Extensions extensions;
    extensions.registry = &registry;
    extensions.report_formats = cutover::builtin_report_formats();
    extensions.make_console = cutover::make_console_reporter;
    extensions.automatic_reports = cutover::automatic_reports;
    extensions.commands.push_back(cutover::demo::command(extensions));
    extensions.commands.push_back(cutover::merge_command(extensions));
    extensions.commands.push_back(cutover::report_command(extensions));
    return cutover::run_cli(argc, argv, extensions);
  } catch (const std::exception& e) {
    std::cerr << "cutover: internal error: " << e.what() << "\n";
    return cutover::kExitInternal;
  }
}
