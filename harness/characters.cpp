#include "harness/characters.hpp"

#include <array>

#include <fmt/format.h>

namespace cutover {
namespace {

// The C0 controls by their ASCII names, for messages.
constexpr std::array<std::string_view, 32> kControlNames = {
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS",  "TAB", "LF",
    "VT",  "FF",  "CR",  "SO",  "SI",  "DLE", "DC1", "DC2", "DC3", "DC4", "NAK",
    "SYN", "ETB", "CAN", "EM",  "SUB", "ESC", "FS",  "GS",  "US"};

// How a suite writes the character in a double-quoted string.
std::string escape_of(unsigned code) {
  switch (code) {
    case 0x00:
      return "\\0";
    case 0x09:
      return "\\t";
    case 0x0a:
      return "\\n";
    case 0x0d:
      return "\\r";
    case 0x1b:
      return "\\e";
    default:
      return code < 0x100 ? fmt::format("\\x{:02x}", code) : fmt::format("\\u{:04x}", code);
  }
}

std::string name_of(unsigned code) {
  const std::string escape = escape_of(code);
  if (code < kControlNames.size()) return fmt::format("{} ({})", kControlNames[code], escape);
  if (code == 0x7f) return fmt::format("DEL ({})", escape);
  return fmt::format("the control character U+{:04X} ({})", code, escape);
}

bool allowed_in(unsigned code, Characters allowed) {
  switch (allowed) {
    case Characters::any:
      return true;
    case Characters::multiline:
      if (code == '\t' || code == '\n' || code == '\r') return true;
      [[fallthrough]];
    case Characters::printable:
      return code >= 0x20 && (code < 0x7f || code > 0x9f);
  }
  return true;
}

// The C1 control (U+0080-U+009F) whose UTF-8 encoding, 0xC2 0x80-0x9F, starts at text[i].
std::optional<unsigned> c1_control_at(std::string_view text, std::size_t i) {
  if (static_cast<unsigned char>(text[i]) != 0xc2 || i + 1 >= text.size()) return std::nullopt;
  const auto next = static_cast<unsigned char>(text[i + 1]);
  if (next < 0x80 || next > 0x9f) return std::nullopt;
  return next;
}

}  // namespace

std::string_view to_string(Characters allowed) {
  switch (allowed) {
    case Characters::printable:
      return "text without control characters";
    case Characters::multiline:
      return "text without control characters other than tab and line breaks";
    case Characters::any:
      return "any text";
  }
  return "any text";
}

std::optional<std::string> forbidden_character(std::string_view text, Characters allowed) {
  if (allowed == Characters::any) return std::nullopt;
  std::size_t character = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte & 0xc0) == 0x80) continue;  // inside a UTF-8 sequence
    ++character;
    const unsigned code = c1_control_at(text, i).value_or(byte);
    if (!allowed_in(code, allowed)) {
      return fmt::format("{} at character {}", name_of(code), character);
    }
  }
  return std::nullopt;
}

std::string escape_control_characters(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (const std::optional<unsigned> c1 = c1_control_at(text, i)) {
      out += escape_of(*c1);
      ++i;
    } else if (!allowed_in(byte, Characters::printable) && byte < 0x80) {
      out += escape_of(byte);
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<std::string> characters_problem(std::string_view text, Characters allowed) {
  auto found = forbidden_character(text, allowed);
  if (!found) return std::nullopt;
  return fmt::format("expected {}, got {}", to_string(allowed), *found);
}

}  // namespace cutover
