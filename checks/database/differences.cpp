#include "checks/database/differences.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cutover::database {

namespace {

using RowsByKey = std::map<std::string, std::vector<const RowHashes*>>;

// A key on both sides: the target's further rows of it are extra; a different hash is a change.
// Returns whether anything differed.
bool compare_key(const std::string& key, const std::vector<const RowHashes*>& source_rows,
                 const std::vector<const RowHashes*>& target_rows,
                 const std::vector<std::string>& columns, std::int64_t max_examples,
                 Differences& into) {
  const RowHashes& source = *source_rows.front();
  const RowHashes& target = *target_rows.front();
  bool any = false;
  if (target_rows.size() > 1) {
    // The target lacks the key's uniqueness: each further row is extra.
    any = true;
    into.extra += static_cast<std::int64_t>(target_rows.size() - 1);
    into.add_example({.key = key, .kind = DiffKind::extra, .columns = {"(duplicated key)"}},
                     max_examples);
  }
  if (source.hash == target.hash) return any;
  ++into.changed;
  Diff diff{.key = key, .kind = DiffKind::changed, .columns = {}};
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (source.columns[c] != target.columns[c]) {
      diff.columns.push_back(columns[c]);
      ++into.changed_columns[columns[c]];
    }
  }
  into.add_example(std::move(diff), max_examples);
  return true;
}

}  // namespace

void Differences::add_example(Diff diff, std::int64_t max_examples) {
  if (static_cast<std::int64_t>(examples.size()) < max_examples)
    examples.push_back(std::move(diff));
}

std::string key_display(const std::vector<std::string>& key,
                        const std::vector<std::string>& values) {
  if (key.size() == 1) return key.front() + "=" + values.front();
  return fmt::format("({})=({})", fmt::join(key, ", "), fmt::join(values, ", "));
}

void compare_rows(const std::array<std::vector<RowHashes>, 2>& rows,
                  const std::vector<std::string>& columns, std::int64_t max_examples,
                  Differences& into) {
  std::array<RowsByKey, 2> sides;
  for (std::size_t side = 0; side < 2; ++side) {
    for (const RowHashes& row : rows[side])
      sides[side][row.key].push_back(&row);
  }
  bool any = false;
  for (const auto& [key, source_rows] : sides[0]) {
    auto it = sides[1].find(key);
    if (it == sides[1].end()) {
      any = true;
      into.missing += static_cast<std::int64_t>(source_rows.size());
      into.add_example({.key = key, .kind = DiffKind::missing, .columns = {}}, max_examples);
      continue;
    }
    any = compare_key(key, source_rows, it->second, columns, max_examples, into) || any;
  }
  for (const auto& [key, target_rows] : sides[1]) {
    if (sides[0].contains(key)) continue;
    any = true;
    into.extra += static_cast<std::int64_t>(target_rows.size());
    into.add_example({.key = key, .kind = DiffKind::extra, .columns = {}}, max_examples);
  }
  if (!any) into.unexplained = true;
}

void add_one_sided(std::vector<RowHashes> rows, DiffKind kind, std::int64_t max_examples,
                   Differences& into) {
  for (RowHashes& row : rows)
    into.add_example({.key = std::move(row.key), .kind = kind, .columns = {}}, max_examples);
}

void compare_hash_counts(const HashCounts& counts, Differences& into) {
  bool any = false;
  for (const auto& [hash, both] : counts) {
    if (both[0] > both[1]) into.missing += both[0] - both[1];
    if (both[1] > both[0]) into.extra += both[1] - both[0];
    any = any || both[0] != both[1];
  }
  if (!any) into.unexplained = true;
}

bool key_less(const std::string& a, const std::string& b) {
  const auto number = [](const std::string& key) -> std::optional<long double> {
    const std::size_t equals = key.rfind('=');
    const std::string value = equals == std::string::npos ? key : key.substr(equals + 1);
    if (value.empty() || value.find_first_not_of("-0123456789") != std::string::npos)
      return std::nullopt;
    return std::stold(value);
  };
  const auto left = number(a);
  const auto right = number(b);
  if (left && right && *left != *right) return *left < *right;
  return a < b;
}

}  // namespace cutover::database
