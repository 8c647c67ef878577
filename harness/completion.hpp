#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "harness/registry.hpp"

namespace CLI {
class App;
}

namespace cutover {

// The shells `cutover completion` writes a script for.
const std::vector<std::string>& completion_shells();

// The completion script for `shell` (one of completion_shells()), made by walking `app`'s
// subcommands and options as they are defined, so it never repeats them. Hidden commands (in no
// group) are left out. The script completes `--phase` and `--tag` values by calling back into the
// binary: `cutover __complete phases|tags COMMAND WORDS...` (see print_completion_values).
std::string completion_script(const CLI::App& app, std::string_view shell);

// `cutover __complete phases|tags COMMAND WORDS...`: the phases or tags of the suite files among
// WORDS (the words typed after COMMAND; values of COMMAND's options are skipped), one per line,
// as the loader sees them. Files are loaded together, or one by one when that fails; a suite that
// does not load adds nothing, so a broken suite prints nothing. Never fails: completion must not.
void print_completion_values(const CLI::App& app, const std::vector<std::string>& arguments,
                             const Registry& registry, std::ostream& out);

}  // namespace cutover
