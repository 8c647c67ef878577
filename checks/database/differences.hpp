#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

// Rows that differ between source and target, whatever the engine: counted missing, extra and
// changed (with the columns that differ), and a bounded list of examples by key.
namespace cutover::database {

enum class DiffKind { missing, extra, changed };

struct Diff {
  std::string key{};  // id=5, (a, b)=(1, 'x')
  DiffKind kind = DiffKind::changed;
  std::vector<std::string> columns{};  // changed ones
};

// One fetched row: its key rendering, row hash and column hashes.
struct RowHashes {
  std::string key{};
  std::string hash{};
  std::vector<std::optional<std::string>> columns{};
};

// Each distinct row hash of a keyless table and how many rows have it on each side.
using HashCounts = std::map<std::string, std::array<std::int64_t, 2>>;

struct Differences {
  std::int64_t missing = 0;
  std::int64_t extra = 0;
  std::int64_t changed = 0;
  std::map<std::string, std::int64_t> changed_columns;
  std::vector<Diff> examples;  // at most max_examples
  bool unexplained = false;    // a segment differed, its rows did not

  bool any() const { return missing + extra + changed > 0 || unexplained; }
  void add_example(Diff diff, std::int64_t max_examples);
};

// The key's rendering from its columns' names and displayed values: id=5, (a, b)=(1, 'x').
std::string key_display(const std::vector<std::string>& key,
                        const std::vector<std::string>& values);

// Compares the rows of one part of a keyed table, source [0] and target [1], matched by key:
// counts what is missing, extra (also each further row of a key duplicated on the target) and
// changed, with `columns` naming the column hashes; a part whose rows all match is unexplained.
void compare_rows(const std::array<std::vector<RowHashes>, 2>& rows,
                  const std::vector<std::string>& columns, std::int64_t max_examples,
                  Differences& into);

// Rows of one side only whose counts are already known: examples of `kind` only.
void add_one_sided(std::vector<RowHashes> rows, DiffKind kind, std::int64_t max_examples,
                   Differences& into);

// Keyless tables: each row hash more often on the source is missing, more often on the target
// extra.
void compare_hash_counts(const HashCounts& counts, Differences& into);

// Natural order of keys: numbers by value, then text.
bool key_less(const std::string& a, const std::string& b);

}  // namespace cutover::database
