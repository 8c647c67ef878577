#include "harness/characters.hpp"

#include <string>

#include <gtest/gtest.h>

namespace cutover {
namespace {

using namespace std::string_literals;

std::string problem(std::string_view text, Characters allowed) {
  return characters_problem(text, allowed).value_or("(allowed)");
}

TEST(Characters, PrintableTextHoldsNoControlCharacter) {
  EXPECT_EQ(problem("127.0.0.1\0evil"s, Characters::printable),
            "expected text without control characters, got NUL (\\0) at character 10");
  EXPECT_EQ(problem("a\tb", Characters::printable),
            "expected text without control characters, got TAB (\\t) at character 2");
  EXPECT_EQ(problem("x\r\nX-Evil: 1", Characters::printable),
            "expected text without control characters, got CR (\\r) at character 2");
  EXPECT_EQ(problem("\x1b[31mred", Characters::printable),
            "expected text without control characters, got ESC (\\e) at character 1");
  EXPECT_EQ(problem("a\x7f", Characters::printable),
            "expected text without control characters, got DEL (\\x7f) at character 2");
}

TEST(Characters, PositionsCountCharactersNotBytes) {
  // U+009B (CSI) is a control character of its own to some terminals.
  EXPECT_EQ(problem("é\xc2\x9b", Characters::printable),
            "expected text without control characters, got the control character U+009B "
            "(\\x9b) at character 2");
}

TEST(Characters, PrintableTextMayHoldAnyOtherCharacter) {
  EXPECT_EQ(problem("café 日本 \xc2\xa0 ${x} \"'<>&", Characters::printable), "(allowed)");
  EXPECT_EQ(problem("", Characters::printable), "(allowed)");
}

TEST(Characters, MultilineTextAlsoHoldsTabsAndLineBreaks) {
  EXPECT_EQ(problem("select 1\n\tfrom t\r\n", Characters::multiline), "(allowed)");
  EXPECT_EQ(problem("line\n\0"s, Characters::multiline),
            "expected text without control characters other than tab and line breaks, got NUL "
            "(\\0) at character 6");
  EXPECT_EQ(problem("\x0b", Characters::multiline),
            "expected text without control characters other than tab and line breaks, got VT "
            "(\\x0b) at character 1");
}

TEST(Characters, AnyTextHoldsEverything) {
  EXPECT_EQ(problem("\0\x01\x1b\x7f\xc2\x85"s, Characters::any), "(allowed)");
}

}  // namespace
}  // namespace cutover
