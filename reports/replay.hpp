#pragma once

#include <vector>

#include "harness/cli.hpp"
#include "harness/reporter.hpp"
#include "reports/results_file.hpp"

namespace cutover {

// Combines the results files of the shards of one run into the run they make up: checks
// unioned (a check in two files is an error), started at the earliest start, lasting until the
// latest end, shard fields reset, summary recomputed; the files' names appear in errors.
Expected<ResultsFile> merge_results(const std::vector<ResultsFile>& shards,
                                    const std::vector<std::string>& names);

// Feeds a recorded run to a reporter as if it ran: run_started, check_started (not for skipped
// checks) and check_finished per check in the file's order, run_finished.
void replay(const ResultsFile& run, Reporter& reporter);

// `cutover merge SHARD.json... [--junit FILE] [--json FILE] ...`: merges shards' results and
// writes the requested reports with extensions.report_formats. The extensions must outlive the
// returned command.
Command merge_command(const Extensions& extensions);

// `cutover report RESULTS.json --html FILE ...`: writes reports from one results file.
Command report_command(const Extensions& extensions);

}  // namespace cutover
