// `cutover completion bash|zsh|fish`: scripts the shells accept, and bash's completes commands,
// flags and the phases of the suite files on the command line (`cutover __complete`).
#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "loopback/process.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/support/run_cutover.hpp"

namespace cutover::test {
namespace {

constexpr std::string_view kSuite = R"(suite: shop
phases: [before, after]
checks:
  - name: port
    kind: tcp
    phase: before
    host: 127.0.0.1
    port: 1
    tags: [fast, network]
  - name: again
    kind: tcp
    phase: after
    host: 127.0.0.1
    port: 2
)";

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);)
    result.push_back(line);
  return result;
}

// The shell's path, or "" when it is not installed.
std::string installed(const std::string& shell) {
  for (const std::string folder : {"/usr/bin/", "/bin/"}) {
    if (std::filesystem::exists(folder + shell)) return folder + shell;
  }
  return "";
}

// What bash's completion function offers when the last of `words` is being completed, the
// script coming from the binary under test, which words[0] names.
std::vector<std::string> bash_completes(const loopback::TempDir& folder,
                                        const std::vector<std::string>& words) {
  const auto script = run_cutover({"completion", "bash"});
  const std::filesystem::path path = folder.write("cutover.bash", script.out);
  std::string array = std::string("'") + CUTOVER_BINARY + "'";
  for (const std::string& word : words)
    array += " '" + word + "'";
  const std::string program = "source '" + path.string() + "'; COMP_WORDS=(" + array +
                              "); COMP_CWORD=" + std::to_string(words.size()) +
                              "; _cutover; printf '%s\\n' \"${COMPREPLY[@]}\"";
  const auto result = loopback::run_command({"/bin/bash", "-c", program});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return lines(result.out);
}

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

TEST(Completion, EachShellsScriptIsValid) {
  loopback::TempDir folder;
  const std::vector<std::pair<std::string, std::vector<std::string>>> checkers = {
      {"bash", {"-n"}}, {"zsh", {"-n"}}, {"fish", {"--no-execute"}}};
  for (const auto& [shell, flags] : checkers) {
    const auto script = run_cutover({"completion", shell});
    ASSERT_EQ(script.exit_code, 0) << shell << ": " << script.err;
    EXPECT_NE(script.out.find(" __complete "), std::string::npos) << shell;
    const std::string binary = installed(shell);
    if (binary.empty()) continue;  // scripts/setup.sh installs zsh and fish
    std::vector<std::string> command = {binary};
    command.insert(command.end(), flags.begin(), flags.end());
    command.push_back(folder.write("cutover." + shell, script.out).string());
    const auto checked = loopback::run_command(command);
    EXPECT_EQ(checked.exit_code, 0) << shell << ": " << checked.err << checked.out;
  }
}

TEST(Completion, BashCompletesCommandsFromTheCommandLine) {
  loopback::TempDir folder;
  const auto commands = bash_completes(folder, {""});
  for (const std::string command :
       {"run", "kinds", "schema", "help", "completion", "demo", "merge", "report"}) {
    EXPECT_TRUE(contains(commands, command)) << command;
  }
  EXPECT_FALSE(contains(commands, "__complete"));
  EXPECT_EQ(bash_completes(folder, {"sc"}), std::vector<std::string>{"schema"});
  EXPECT_EQ(bash_completes(folder, {"completion", "z"}), std::vector<std::string>{"zsh"});
}

TEST(Completion, BashCompletesTheFlagsOfRun) {
  loopback::TempDir folder;
  EXPECT_EQ(bash_completes(folder, {"run", "--dry"}), std::vector<std::string>{"--dry-run"});
  const auto flags = bash_completes(folder, {"run", "--"});
  for (const std::string flag : {"--phase", "--tag", "--junit", "--fail-fast", "--verbose"}) {
    EXPECT_TRUE(contains(flags, flag)) << flag;
  }
}

// demo, merge and report are added by main; their options are completed like run's.
TEST(Completion, BashCompletesTheFlagsOfTheCommandsMainAdds) {
  loopback::TempDir folder;
  const auto demo = bash_completes(folder, {"demo", "--"});
  for (const std::string flag : {"--out", "--suites", "--break"}) {
    EXPECT_TRUE(contains(demo, flag)) << flag;
  }
  const auto merge = bash_completes(folder, {"merge", "--"});
  for (const std::string flag : {"--junit", "--html", "--json"}) {
    EXPECT_TRUE(contains(merge, flag)) << flag;
  }
  folder.write("0.json", "{}");
  EXPECT_EQ(bash_completes(folder, {"report", folder.path().string() + "/0.j"}),
            std::vector<std::string>{folder.path().string() + "/0.json"});
}

TEST(Completion, BashCompletesThePhasesAndTagsOfTheSuitesTyped) {
  loopback::TempDir folder;
  const std::string suite = folder.write("shop.yaml", kSuite).string();
  EXPECT_EQ(bash_completes(folder, {"run", suite, "--phase", ""}),
            (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(bash_completes(folder, {"run", "--phase", "a", suite, "--phase", "a"}),
            std::vector<std::string>{"after"});
  EXPECT_EQ(bash_completes(folder, {"run", suite, "--tag", "n"}),
            std::vector<std::string>{"network"});
  // --phase=VALUE, which bash splits at the '='.
  EXPECT_EQ(bash_completes(folder, {"run", suite, "--phase", "="}),
            (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(bash_completes(folder, {"run", "--junit=x.xml", suite, "--phase", "=", "a"}),
            std::vector<std::string>{"after"});
}

// fish offers candidates with their descriptions after a tab.
TEST(Completion, FishCompletesThePhasesOfTheSuitesTyped) {
  const std::string fish = installed("fish");
  if (fish.empty()) GTEST_SKIP() << "fish is not installed (scripts/setup.sh installs it)";
  loopback::TempDir folder;
  const std::string suite = folder.write("shop.yaml", kSuite).string();
  const auto script = run_cutover({"completion", "fish"});
  const std::string path = folder.write("cutover.fish", script.out).string();
  const auto completed = loopback::run_command(
      {fish, "--no-config", "-c",
       "source '" + path + "'; complete -C'" + CUTOVER_BINARY + " run " + suite + " --phase '"});
  EXPECT_EQ(completed.exit_code, 0) << completed.err;
  const auto offered = lines(completed.out);
  ASSERT_EQ(offered.size(), 2u) << completed.out;
  EXPECT_TRUE(offered[0].starts_with("after\t")) << offered[0];
  EXPECT_TRUE(offered[1].starts_with("before\t")) << offered[1];
}

// zsh's completion function, called as the completion system would call it, with compadd
// standing in for the system's builtin (it only works inside a completion widget).
TEST(Completion, ZshCompletesThePhasesOfTheSuitesTyped) {
  const std::string zsh = installed("zsh");
  if (zsh.empty()) GTEST_SKIP() << "zsh is not installed (scripts/setup.sh installs it)";
  loopback::TempDir folder;
  const std::string suite = folder.write("shop.yaml", kSuite).string();
  const auto script = run_cutover({"completion", "zsh"});
  const std::string path = folder.write("_cutover", script.out).string();
  const auto completed = loopback::run_command(
      {zsh, "-f", "-c",
       "compdef() { :; }; compadd() { shift; print -l -- \"$@\"; }; source '" + path +
           "'; words=('" + CUTOVER_BINARY + "' run '" + suite +
           "' --phase ''); CURRENT=5; _cutover"});
  EXPECT_EQ(completed.exit_code, 0) << completed.err;
  EXPECT_EQ(lines(completed.out), (std::vector<std::string>{"before", "after"}));
}

// A shell where the suite's secrets are not set still completes its phases.
TEST(Completion, PhasesCompleteWithoutTheSuitesSecrets) {
  loopback::TempDir folder;
  std::string text(kSuite);
  text.replace(text.find("127.0.0.1"), 9, "${secret:CUTOVER_TEST_UNSET_HOST}");
  const std::string suite = folder.write("secret.yaml", text).string();
  EXPECT_EQ(bash_completes(folder, {"run", suite, "--phase", ""}),
            (std::vector<std::string>{"before", "after"}));
}

TEST(Completion, ValuesComeFromTheSuitesThatLoadAndNeverFail) {
  loopback::TempDir folder;
  const std::string suite = folder.write("shop.yaml", kSuite).string();
  const std::string broken = folder.write("broken.yaml", "suite: [").string();
  // A report file given before the suite is the value of --junit, not a suite.
  const auto phases = run_cutover({"__complete", "phases", "run", "--junit", broken, suite});
  EXPECT_EQ(phases.exit_code, 0);
  EXPECT_EQ(lines(phases.out), (std::vector<std::string>{"before", "after"}));
  const auto tags = run_cutover({"__complete", "tags", "run", suite, broken});
  EXPECT_EQ(lines(tags.out), (std::vector<std::string>{"fast", "network"}));
  for (const std::vector<std::string>& arguments :
       {std::vector<std::string>{"__complete", "phases", "run", broken},
        std::vector<std::string>{"__complete", "phases", "nothing", suite},
        std::vector<std::string>{"__complete"}}) {
    const auto result = run_cutover(arguments);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;
    EXPECT_TRUE(result.err.empty()) << result.err;
  }
}

TEST(Completion, AnUnknownShellIsAUsageErrorNamingTheChoices) {
  const auto result = run_cutover({"completion", "korn"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_NE(result.err.find("{bash,zsh,fish}"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace cutover::test
