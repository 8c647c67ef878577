#include "harness/completion.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include "harness/suite.hpp"

namespace cutover {
namespace {

// What the word after an option (or a positional word) is completed with.
enum class ValueKind { none, text, files, phases, tags, commands, choices };

struct CompletedOption {
  std::vector<std::string> names;  // "-q", "--quiet"
  std::string description;
  ValueKind value = ValueKind::none;
  std::vector<std::string> choices;  // for ValueKind::choices
};

struct CompletedCommand {
  std::string name;
  std::string description;
  std::vector<CompletedOption> options;
  CompletedOption positional;  // what its positional words are
};

// The command line as completion sees it: the program's options and its visible commands.
struct CommandLine {
  std::vector<CompletedOption> options;
  std::vector<CompletedCommand> commands;
};

// "{bash,zsh,fish}" in a CLI11 type name ("TEXT:{bash,zsh,fish}") is an IsMember check.
std::vector<std::string> member_choices(const std::string& type_name) {
  const std::size_t open = type_name.find('{');
  const std::size_t close = type_name.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return {};
  std::vector<std::string> choices;
  std::string choice;
  for (char c : type_name.substr(open + 1, close - open - 1)) {
    if (c == ',') {
      choices.push_back(choice);
      choice.clear();
    } else {
      choice += c;
    }
  }
  choices.push_back(choice);
  return choices;
}

// --phase and --tag name what a suite declares; a type name with FILE or DIR (a FILE value, or an
// ExistingFile check) is a path; a positional `command` names a command, as in `help run`.
CompletedOption completed_option(const CLI::Option& option) {
  CompletedOption completed;
  for (const std::string& name : option.get_snames())
    completed.names.push_back("-" + name);
  for (const std::string& name : option.get_lnames())
    completed.names.push_back("--" + name);
  completed.description = option.get_description();
  const std::string type = option.get_type_name();
  if (option.get_items_expected_max() == 0) {
    completed.value = ValueKind::none;
  } else if (option.check_lname("phase")) {
    completed.value = ValueKind::phases;
  } else if (option.check_lname("tag")) {
    completed.value = ValueKind::tags;
  } else if (type.find("FILE") != std::string::npos || type.find("DIR") != std::string::npos) {
    completed.value = ValueKind::files;
  } else if (option.get_positional() && option.get_name(true) == "command") {
    completed.value = ValueKind::commands;
  } else if (auto choices = member_choices(type); !choices.empty()) {
    completed.value = ValueKind::choices;
    completed.choices = std::move(choices);
  } else {
    completed.value = ValueKind::text;
  }
  return completed;
}

CompletedCommand completed_command(const CLI::App& command) {
  CompletedCommand completed{command.get_name(), command.get_description(), {}, {}};
  for (const CLI::Option* option : command.get_options()) {
    if (option->nonpositional()) {
      completed.options.push_back(completed_option(*option));
    } else {
      completed.positional = completed_option(*option);
    }
  }
  return completed;
}

CommandLine command_line(const CLI::App& app) {
  CommandLine line;
  for (const CLI::Option* option : app.get_options()) {
    if (option->nonpositional()) line.options.push_back(completed_option(*option));
  }
  for (const CLI::App* command : app.get_subcommands({})) {
    if (command->get_group().empty()) continue;  // hidden, like __complete
    line.commands.push_back(completed_command(*command));
  }
  return line;
}

std::vector<std::string> option_names(const std::vector<CompletedOption>& options) {
  std::vector<std::string> names;
  for (const CompletedOption& option : options) {
    names.insert(names.end(), option.names.begin(), option.names.end());
  }
  return names;
}

std::vector<std::string> command_names(const CommandLine& line) {
  std::vector<std::string> names;
  for (const CompletedCommand& command : line.commands)
    names.push_back(command.name);
  return names;
}

// Text inside single quotes in bash and zsh.
std::string single_quoted(std::string_view text) {
  std::string quoted = "'";
  for (char c : text)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// bash and zsh: the `case "$command:$prev"` that completes the value after an option, with
// `values` saying how for each option that takes one.
std::string value_cases(const CommandLine& line,
                        std::string (*values)(const CompletedOption&, const CommandLine&)) {
  std::string cases = "  case \"$command:$prev\" in\n";
  for (const CompletedCommand& command : line.commands) {
    for (const CompletedOption& option : command.options) {
      if (option.value == ValueKind::none) continue;
      for (const std::string& name : option.names) {
        cases +=
            fmt::format("    {}:{}) {}; return ;;\n", command.name, name, values(option, line));
      }
    }
  }
  return cases + "  esac\n";
}

// bash: what the word in `cur` becomes, for a value of the given kind.
std::string bash_values(const CompletedOption& option, const CommandLine& line) {
  switch (option.value) {
    case ValueKind::files:
      return "_cutover_files";
    case ValueKind::phases:
      return "_cutover_words \"$(_cutover_suite_values phases)\"";
    case ValueKind::tags:
      return "_cutover_words \"$(_cutover_suite_values tags)\"";
    case ValueKind::commands:
      return fmt::format("_cutover_words '{}'", fmt::join(command_names(line), " "));
    case ValueKind::choices:
      return fmt::format("_cutover_words '{}'", fmt::join(option.choices, " "));
    case ValueKind::none:
    case ValueKind::text:
      break;
  }
  return "COMPREPLY=()";
}

constexpr std::string_view kBashHeader =
    R"script(# bash completion for cutover, generated by `cutover completion bash`.
_cutover_words() {
  mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}
_cutover_files() {
  compopt -o filenames 2>/dev/null
  mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}
# The phases or tags of the suite files typed so far, as the binary loads them.
_cutover_suite_values() {
  "${COMP_WORDS[0]}" __complete "$1" "${COMP_WORDS[@]:command_index:COMP_CWORD-command_index}" 2>/dev/null
}
_cutover() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
  local command="" command_index=0 i
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ ${COMP_WORDS[i]} != -* ]]; then
      command="${COMP_WORDS[i]}"
      command_index=$i
      break
    fi
  done
  # --phase=VALUE: bash splits the word at the '=' (COMP_WORDBREAKS).
  if [[ $cur == = ]]; then
    cur=""
  elif [[ $prev == = ]]; then
    prev="${COMP_WORDS[COMP_CWORD-2]}"
  fi
  COMPREPLY=()
)script";

std::string bash_script(const CommandLine& line) {
  std::string script(kBashHeader);
  script += value_cases(line, bash_values);
  script += "  case \"$command\" in\n";
  script += fmt::format(
      "    \"\") if [[ $cur == -* ]]; then _cutover_words '{}'; else _cutover_words '{}'; fi ;;\n",
      fmt::join(option_names(line.options), " "), fmt::join(command_names(line), " "));
  for (const CompletedCommand& command : line.commands) {
    script += fmt::format("    {}) if [[ $cur == -* ]]; then _cutover_words '{}'; else {}; fi ;;\n",
                          command.name, fmt::join(option_names(command.options), " "),
                          bash_values(command.positional, line));
  }
  script += "  esac\n}\ncomplete -F _cutover cutover\n";
  return script;
}

// zsh: the completer of a value of the given kind.
std::string zsh_values(const CompletedOption& option, const CommandLine& line) {
  switch (option.value) {
    case ValueKind::files:
      return "_files";
    case ValueKind::phases:
      return "_cutover_suite_values phases";
    case ValueKind::tags:
      return "_cutover_suite_values tags";
    case ValueKind::commands:
      return fmt::format("compadd -- {}", fmt::join(command_names(line), " "));
    case ValueKind::choices:
      return fmt::format("compadd -- {}", fmt::join(option.choices, " "));
    case ValueKind::none:
    case ValueKind::text:
      break;
  }
  return ":";
}

// zsh's _describe entries: 'name:description', with the colon in a name escaped.
std::string zsh_described(const std::vector<std::string>& names, const std::string& description) {
  std::vector<std::string> entries;
  for (const std::string& name : names)
    entries.push_back(single_quoted(name + ":" + description));
  return fmt::format("{}", fmt::join(entries, " "));
}

std::string zsh_options(const std::vector<CompletedOption>& options) {
  std::vector<std::string> entries;
  for (const CompletedOption& option : options) {
    entries.push_back(zsh_described(option.names, option.description));
  }
  return fmt::format("local -a options=({}); _describe option options", fmt::join(entries, " "));
}

constexpr std::string_view kZshHeader = R"script(#compdef cutover
# zsh completion for cutover, generated by `cutover completion zsh`.
_cutover() {
  local command="" prev="${words[CURRENT-1]}" cur="${words[CURRENT]}"
  local -i command_index=0 i
  for ((i = 2; i < CURRENT; i++)); do
    if [[ ${words[i]} != -* ]]; then
      command="${words[i]}"
      command_index=$i
      break
    fi
  done
  # --phase=VALUE: the value is completed after the '='.
  if [[ $cur == --*=* ]]; then
    prev=${cur%%=*}
    compset -P '*='
  fi
  # The phases or tags of the suite files typed so far, as the binary loads them.
  _cutover_suite_values() {
    local -a values=(${(f)"$(${words[1]} __complete $1 ${words[command_index,CURRENT-1]} 2>/dev/null)"})
    compadd -- $values
  }
)script";

std::string zsh_script(const CommandLine& line) {
  std::string script(kZshHeader);
  script += value_cases(line, zsh_values);
  std::vector<std::string> commands;
  for (const CompletedCommand& command : line.commands) {
    commands.push_back(zsh_described({command.name}, command.description));
  }
  script += "  case \"$command\" in\n";
  script += fmt::format(
      "    \"\") if [[ $cur == -* ]]; then {}; else local -a commands=({}); _describe command "
      "commands; fi ;;\n",
      zsh_options(line.options), fmt::join(commands, " "));
  for (const CompletedCommand& command : line.commands) {
    script += fmt::format("    {}) if [[ $cur == -* ]]; then {}; else {}; fi ;;\n", command.name,
                          zsh_options(command.options), zsh_values(command.positional, line));
  }
  script += "  esac\n}\n";
  // Autoloaded from fpath, the file is the function's body; sourced, it registers the function.
  script +=
      "if [[ $funcstack[1] == _cutover ]]; then _cutover \"$@\"; else compdef _cutover "
      "cutover; fi\n";
  return script;
}

// Text inside single quotes in fish, where backslash and the quote are escaped.
std::string fish_quoted(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

// fish: the `complete` arguments saying what a value of the given kind is.
std::string fish_values(const CompletedOption& option, const CommandLine& line) {
  switch (option.value) {
    case ValueKind::files:
      return "-r -F";
    case ValueKind::phases:
      return "-x -a '(__cutover_suite_values phases)'";
    case ValueKind::tags:
      return "-x -a '(__cutover_suite_values tags)'";
    case ValueKind::commands:
      return fmt::format("-x -a {}",
                         fish_quoted(fmt::format("{}", fmt::join(command_names(line), " "))));
    case ValueKind::choices:
      return fmt::format("-x -a {}",
                         fish_quoted(fmt::format("{}", fmt::join(option.choices, " "))));
    case ValueKind::text:
      return "-x";
    case ValueKind::none:
      break;
  }
  return "";
}

std::string fish_option(const std::string& condition, const CompletedOption& option,
                        const CommandLine& line) {
  std::string names;
  for (const std::string& name : option.names) {
    names += name.starts_with("--") ? " -l " + name.substr(2) : " -s " + name.substr(1);
  }
  return fmt::format("complete -c cutover -n {}{} {} -d {}\n", fish_quoted(condition), names,
                     fish_values(option, line), fish_quoted(option.description));
}

constexpr std::string_view kFishHeader =
    R"script(# fish completion for cutover, generated by `cutover completion fish`.
# The phases or tags of the suite files typed so far, as the binary loads them.
function __cutover_suite_values
    set -l words (commandline -opc)
    for i in (seq 2 (count $words))
        if not string match -q -- '-*' $words[$i]
            $words[1] __complete $argv[1] $words[$i..-1] 2>/dev/null
            return
        end
    end
end
complete -c cutover -f
)script";

std::string fish_script(const CommandLine& line) {
  std::string script(kFishHeader);
  for (const CompletedOption& option : line.options) {
    script += fish_option("__fish_use_subcommand", option, line);
  }
  for (const CompletedCommand& command : line.commands) {
    script += fmt::format("complete -c cutover -n __fish_use_subcommand -a {} -d {}\n",
                          command.name, fish_quoted(command.description));
    const std::string condition = "__fish_seen_subcommand_from " + command.name;
    for (const CompletedOption& option : command.options) {
      script += fish_option(condition, option, line);
    }
    if (command.positional.value != ValueKind::none) {
      script += fmt::format("complete -c cutover -n {} {}\n", fish_quoted(condition),
                            fish_values(command.positional, line));
    }
  }
  return script;
}

// The words among `words` (typed after `command`'s name) that are not options or their values
// and name regular files. An option's value is its next word, or follows its '='.
std::vector<std::filesystem::path> suite_files(const CLI::App& command,
                                               const std::vector<std::string>& words) {
  std::vector<std::filesystem::path> files;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word.starts_with("-")) {
      const CLI::Option* option = command.get_option_no_throw(word.substr(0, word.find('=')));
      const bool takes_value = option != nullptr && option->get_items_expected_max() != 0;
      if (takes_value && word.find('=') == std::string::npos) {
        // bash splits `--out=x` into `--out`, `=` and `x`.
        i += i + 1 < words.size() && words[i + 1] == "=" ? 2 : 1;
      }
      continue;
    }
    std::error_code error;
    if (std::filesystem::is_regular_file(word, error)) files.emplace_back(word);
  }
  return files;
}

void add_values(const Plan& plan, std::string_view what, std::vector<std::string>& values) {
  auto add = [&values](const std::string& value) {
    if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
  };
  if (what == "phases") {
    for (const std::string& phase : plan.phases())
      add(phase);
    return;
  }
  for (const PlannedCheck& check : plan.checks) {
    for (const std::string& tag : check.tags)
      add(tag);
  }
}

}  // namespace

const std::vector<std::string>& completion_shells() {
  static const std::vector<std::string> shells = {"bash", "zsh", "fish"};
  return shells;
}

std::string completion_script(const CLI::App& app, std::string_view shell) {
  const CommandLine line = command_line(app);
  if (shell == "bash") return bash_script(line);
  if (shell == "zsh") return zsh_script(line);
  if (shell == "fish") return fish_script(line);
  throw std::invalid_argument(fmt::format("no completion for the shell '{}'", shell));
}

void print_completion_values(const CLI::App& app, const std::vector<std::string>& arguments,
                             const Registry& registry, std::ostream& out) {
  if (arguments.size() < 2) return;
  const std::string& what = arguments[0];
  const CLI::App* command = nullptr;
  try {
    command = app.get_subcommand(arguments[1]);
  } catch (const CLI::OptionNotFound&) {
    return;
  }
  const auto files =
      suite_files(*command, std::vector<std::string>(arguments.begin() + 2, arguments.end()));
  if (files.empty()) return;
  std::vector<std::string> values;
  // Completion runs where secrets are not set: a placeholder stands for them, as in --dry-run.
  std::set<std::string> unset_secrets;
  LoadOptions options;
  options.unset_secrets = &unset_secrets;
  if (auto plan = load_suites(files, registry, options)) {
    add_values(plan.value(), what, values);
  } else {
    for (const auto& file : files) {
      if (auto one = load_suites({file}, registry, options)) add_values(one.value(), what, values);
    }
  }
  for (const std::string& value : values)
    out << value << "\n";
}

}  // namespace cutover
