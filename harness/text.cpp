#include "harness/text.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace cutover {
namespace {

// Optimal string alignment distance: Levenshtein plus transpositions, so "exepct" is one edit
// from "expect".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

// Length of the ANSI escape sequence at text[i] (ESC already seen), covering CSI
// ("ESC [ ... final") and two-byte escapes.
std::size_t escape_sequence_length(std::string_view text, std::size_t i) {
  if (i + 1 >= text.size()) return 1;
  if (text[i + 1] != '[') return 2;
  std::size_t k = i + 2;
  while (k < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[k]);
    ++k;
    if (c >= 0x40 && c <= 0x7E) break;
  }
  return k - i;
}

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string clean_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\x1b') {
      i += escape_sequence_length(text, i);
      continue;
    }
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

std::string one_line(std::string_view text) {
  std::string cleaned = clean_text(text);
  std::string out;
  out.reserve(cleaned.size());
  bool in_break = false;
  for (char c : cleaned) {
    if (c == '\n' || c == '\r' || c == '\t') {
      if (!in_break && !out.empty()) out += ' ';
      in_break = true;
      continue;
    }
    in_break = false;
    out += c;
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

std::string truncate_middle(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  const std::size_t keep = limit / 2;
  std::size_t head_end = keep;
  while (head_end > 0 && is_continuation(text[head_end]))
    --head_end;
  std::size_t tail_start = text.size() - keep;
  while (tail_start < text.size() && is_continuation(text[tail_start]))
    ++tail_start;
  return fmt::format("{}\n[... {} bytes cut ...]\n{}", text.substr(0, head_end),
                     tail_start - head_end, text.substr(tail_start));
}

std::string shorten(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  std::size_t end = limit;
  while (end > 0 && is_continuation(text[end]))
    --end;
  return std::string(text.substr(0, end)) + "...";
}

std::string join_first(const std::vector<std::string>& items, std::size_t shown) {
  std::string text;
  for (std::size_t i = 0; i < std::min(items.size(), shown); ++i) {
    if (i > 0) text += "; ";
    text += items[i];
  }
  if (items.size() > shown) text += fmt::format("; and {} more", items.size() - shown);
  return text;
}

std::string text_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows, std::string_view align) {
  std::vector<std::size_t> widths(header.size(), 0);
  for (std::size_t c = 0; c < header.size(); ++c) {
    widths[c] = header[c].size();
    for (const auto& row : rows) {
      if (c < row.size()) widths[c] = std::max(widths[c], row[c].size());
    }
  }
  std::string text;
  const auto line = [&](const std::vector<std::string>& row) {
    if (!text.empty()) text += '\n';
    const std::size_t start = text.size();
    for (std::size_t c = 0; c < widths.size(); ++c) {
      const std::string_view cell = c < row.size() ? std::string_view(row[c]) : "";
      const std::string padding(widths[c] - cell.size(), ' ');
      if (c > 0) text += "  ";
      if (c < align.size() && align[c] == 'r') {
        text += padding;
        text += cell;
      } else {
        text += cell;
        text += padding;
      }
    }
    while (text.size() > start && text.back() == ' ')
      text.pop_back();
  };
  line(header);
  for (const auto& row : rows)
    line(row);
  return text;
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const std::string& candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  const std::size_t allowed = std::max<std::size_t>(1, std::min(word.size(), best.size()) / 3);
  if (best.empty() || best_distance > allowed) return {};
  return best;
}

std::string suggestion_or(std::string_view word, const std::vector<std::string>& candidates,
                          std::string otherwise) {
  if (std::string suggestion = closest_match(word, candidates); !suggestion.empty()) {
    return fmt::format(" (did you mean '{}'?)", suggestion);
  }
  return otherwise;
}

std::string unknown_key(std::string_view key, const std::vector<std::string>& allowed,
                        std::string_view where) {
  return fmt::format("unknown key '{}'{}{}", key, where.empty() ? "" : " in ", where) +
         suggestion_or(key, allowed,
                       fmt::format(" (expected one of: {})", fmt::join(allowed, ", ")));
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
        hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace cutover
