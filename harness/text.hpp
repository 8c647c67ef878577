#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cutover {

// Replaces invalid UTF-8 with U+FFFD and removes ANSI escape sequences (colour codes from a
// target's output must not reach a report as garbage or as live terminal control).
std::string clean_text(std::string_view text);

// One line: clean_text, then every run of line breaks and tabs becomes one space.
std::string one_line(std::string_view text);

// Keeps at most `limit` bytes: the head and the tail, with a marker in between that says how
// much was cut. Cuts fall on UTF-8 character boundaries.
std::string truncate_middle(std::string_view text, std::size_t limit);

// Keeps at most `limit` bytes from the start, ending in "..." when cut.
std::string shorten(std::string_view text, std::size_t limit);

// The first `shown` items joined with "; ", then "; and N more" for the rest: a check's message
// names a few problems, its details list them all.
std::string join_first(const std::vector<std::string>& items, std::size_t shown);

// A plain-text table for a result's details: columns two spaces apart, padded to the widest
// cell (in bytes); `align` has an 'l' or 'r' per column (left or right aligned, 'l' past its
// end). Trailing spaces are removed from every line.
//   table           source  target
//   public.orders        3       2
std::string text_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows, std::string_view align);

// The closest of `candidates` to a misspelt `word`, or "" when none is close: the "did you
// mean ...?" of suite errors and kinds' messages.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" when one of `candidates` is close to `word` (closest_match), else
// `otherwise`.
std::string suggestion_or(std::string_view word, const std::vector<std::string>& candidates,
                          std::string otherwise = "");

// "unknown key 'equal' (did you mean 'equals'?)", or the keys allowed when none is close
// ("unknown key 'x' (expected one of: a, b)"); `where`, when given, names the mapping after the
// key ("unknown key 'x' in checks[2]").
std::string unknown_key(std::string_view key, const std::vector<std::string>& allowed,
                        std::string_view where = "");

// Every %XX (two hex digits) as the byte it encodes; anything else as written.
std::string percent_decoded(std::string_view text);

}  // namespace cutover
