// Deterministic mutation fuzzing of the suite loader, bounded in time for ctest: the shipped
// suites and the corpus in tests/data/fuzz/loader/ are mutated with a fixed pseudo-random
// sequence, and every input must end loaded or as clear diagnostics (LoaderFuzzer::judge),
// within a time limit each. A crash ends the program (the input is printed first), a hang trips
// the watchdog. tests/fuzz/loader_fuzzer.cpp runs the same judge under libFuzzer.

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "loopback/temp_dir.hpp"
#include "tests/support/loader_fuzz.hpp"

namespace cutover {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The whole run (CUTOVER_FUZZ_SECONDS overrides), and one input's limits: past the first it
// fails, past the second the watchdog stops the program, as a hang.
constexpr auto kDefaultBudget = 45s;
constexpr auto kInputLimit = 5s;
constexpr auto kHangLimit = 20s;

// Text that means something to YAML, JSON, the loader or a kind, for insertions.
const std::vector<std::string> kTokens = {
    "[",
    "]",
    "{",
    "}",
    ": ",
    "- ",
    ", ",
    "\n",
    "\n  ",
    "  ",
    "\t",
    "#",
    "&a ",
    "*a",
    "<<: *a",
    "? ",
    "|\n  ",
    ">-\n  ",
    "---\n",
    "...\n",
    "!!str ",
    "!!int ",
    "!custom ",
    "\"",
    "'",
    "\\0",
    "\"\\0\"",
    "\"\\x1b[2J\"",
    "\"\\r\\nX: 1\"",
    "\"\\u0085\"",
    "${",
    "$${",
    "${X}",
    "${X:-d}",
    "${secret:S}",
    "${steps.a.b}",
    "}",
    "null",
    "~",
    "true",
    "-1",
    "0",
    "65536",
    "99999999999999999999",
    "1e400",
    "0x10",
    ".nan",
    "2000000h",
    "0ms",
    "kind: http\n",
    "kind: tcp\n",
    "kind: dns\n",
    "kind: tls\n",
    "kind: postgres.query\n",
    "steps:\n  - ",
    "request_body: ",
    "include: [x.yaml]\n",
    "needs: [",
    "phase: ",
    "tags: [",
    "retry: ",
    "\xef\xbb\xbf",
    "\xff",
    "\xc3",
    "\xe2\x80\xa8",
    std::string(300, '['),
    std::string(300, '{'),
};

struct Seed {
  std::string name;
  std::string text;
};

// The shipped suites and examples, then the corpus, in a fixed order.
std::vector<Seed> seeds() {
  const fs::path source = CUTOVER_SOURCE_DIR;
  std::vector<Seed> out;
  for (const char* folder : {"suites", "examples", "tests/data/fuzz/loader"}) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(source / folder)) {
      const std::string extension = entry.path().extension().string();
      if (entry.is_regular_file() &&
          (extension == ".yaml" || extension == ".yml" || extension == ".json")) {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files)
      out.push_back({fs::relative(file, source).string(), loopback::read_file(file)});
  }
  return out;
}

// One input: a seed with one to four mutations, all drawn from `random`.
class Mutator {
 public:
  explicit Mutator(const std::vector<Seed>& seeds) : seeds_(seeds) {}

  std::string mutate(std::string text, std::mt19937_64& random) const {
    const int count = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < count; ++i)
      mutate_once(text, random);
    return text;
  }

 private:
  void mutate_once(std::string& text, std::mt19937_64& random) const {
    const auto at = [&](std::size_t size) { return size == 0 ? 0 : random() % (size + 1); };
    const std::size_t position = at(text.size());
    const std::size_t length = 1 + random() % 64;
    switch (random() % 6) {
      case 0:  // one byte changed
        if (!text.empty()) text[position % text.size()] = static_cast<char>(random() % 256);
        break;
      case 1:
        text.insert(position, kTokens[random() % kTokens.size()]);
        break;
      case 2:
        text.erase(position, length);
        break;
      case 3: {  // a piece repeated elsewhere
        const std::string piece = text.substr(position, length);
        text.insert(at(text.size()), piece);
        break;
      }
      case 4: {  // a piece of another seed
        const std::string& other = seeds_[random() % seeds_.size()].text;
        text.insert(position, other.substr(at(other.size()), length * 4));
        break;
      }
      default: {  // a piece repeated many times over
        const std::string piece = text.substr(position, 1 + length % 8);
        std::string repeated;
        for (std::size_t i = 0, times = random() % 2000; i < times; ++i)
          repeated += piece;
        text.insert(position, repeated);
        break;
      }
    }
  }

  const std::vector<Seed>& seeds_;
};

// What a crash or the watchdog prints: the input being loaded.
std::string current_input;
std::string current_name;

void print_current_and_die(const char* why) {
  const std::string header =
      fmt::format("\nloader fuzz: {} on {}; the input was:\n", why, current_name);
  [[maybe_unused]] auto ignored = ::write(2, header.data(), header.size());
  ignored = ::write(2, current_input.data(), current_input.size());
  ignored = ::write(2, "\n", 1);
}

void on_crash(int signal) {
  print_current_and_die(signal == SIGSEGV ? "SIGSEGV" : "a fatal signal");
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

// Stops the program when one input takes past kHangLimit.
class Watchdog {
 public:
  Watchdog()
      : thread_([this] {
          std::unique_lock lock(mutex_);
          while (!done_) {
            woken_.wait_for(lock, 200ms);
            if (busy_ && Clock::now() - started_ > kHangLimit) {
              print_current_and_die("a hang (over 20 s)");
              std::abort();
            }
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    woken_.notify_one();
    thread_.join();
  }
  void start() {
    std::lock_guard lock(mutex_);
    busy_ = true;
    started_ = Clock::now();
  }
  void stop() {
    std::lock_guard lock(mutex_);
    busy_ = false;
  }

 private:
  std::mutex mutex_;
  std::condition_variable woken_;
  bool done_ = false;
  bool busy_ = false;
  Clock::time_point started_;
  std::thread thread_;
};

Clock::duration budget() {
  if (const char* seconds = std::getenv("CUTOVER_FUZZ_SECONDS")) {
    return std::chrono::seconds(std::atoi(seconds));
  }
  return kDefaultBudget;
}

TEST(LoaderFuzz, EveryMutatedSuiteEndsLoadedOrAsClearDiagnostics) {
  const std::vector<Seed> all = seeds();
  ASSERT_GE(all.size(), 20u);
  loopback::TempDir folder;
  // Includes resolve beside the suite: in an empty folder, so none is read.
  test::LoaderFuzzer fuzzer((folder.path() / "fuzz.yaml").string());
  const Mutator mutator(all);
  std::signal(SIGSEGV, on_crash);
  std::signal(SIGABRT, on_crash);
  std::signal(SIGBUS, on_crash);
  Watchdog watchdog;

  const auto judge = [&](std::string name, std::string text) {
    current_name = std::move(name);
    current_input = std::move(text);
    watchdog.start();
    const auto start = Clock::now();
    const std::string problem = fuzzer.judge(current_input);
    const auto took = Clock::now() - start;
    watchdog.stop();
    EXPECT_EQ(problem, "") << current_name << ":\n" << current_input;
    EXPECT_LT(took, kInputLimit) << current_name << " took too long:\n" << current_input;
    return problem.empty() && took < kInputLimit;
  };

  // Every seed as it is first: the corpus holds the reproducers of issue 15.
  for (const Seed& seed : all)
    judge(seed.name, seed.text);

  const auto end = Clock::now() + budget();
  std::size_t inputs = 0;
  for (std::uint64_t n = 0; Clock::now() < end; ++n, ++inputs) {
    std::mt19937_64 random(n);
    const Seed& seed = all[random() % all.size()];
    if (!judge(fmt::format("{} mutation {}", seed.name, n), mutator.mutate(seed.text, random))) {
      break;  // one reproducer is enough
    }
  }
  std::signal(SIGSEGV, SIG_DFL);
  std::signal(SIGABRT, SIG_DFL);
  std::signal(SIGBUS, SIG_DFL);
  std::cout << "loader fuzz: " << all.size() << " seeds, " << inputs << " mutated inputs\n";
}

}  // namespace
}  // namespace cutover
