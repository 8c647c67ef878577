#include "harness/text.hpp"

#include <gtest/gtest.h>

#include "harness/redactor.hpp"

namespace cutover {
namespace {

TEST(CleanText, KeepsValidUtf8) {
  EXPECT_EQ(clean_text("caf\xC3\xA9 \xE2\x9C\x93"), "caf\xC3\xA9 \xE2\x9C\x93");
}

TEST(CleanText, ReplacesInvalidUtf8) {
  EXPECT_EQ(clean_text("a\xFF"
                       "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(clean_text("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(clean_text("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(clean_text("end\xE2\x9C"), "end\xEF\xBF\xBD\xEF\xBF\xBD");            // cut sequence
}

TEST(CleanText, StripsAnsiEscapes) {
  EXPECT_EQ(clean_text("\x1b[31mred\x1b[0m plain \x1b[1;32mbold\x1b[m"), "red plain bold");
}

TEST(OneLine, FoldsBreaksAndTabs) {
  EXPECT_EQ(one_line("first\r\n\tsecond\nthird\n"), "first second third");
}

TEST(TruncateMiddle, KeepsHeadAndTailAndSaysWhatWasCut) {
  const std::string text = std::string(100, 'a') + std::string(100, 'b');
  EXPECT_EQ(truncate_middle(text, 200), text);
  EXPECT_EQ(truncate_middle(text, 20),
            std::string(10, 'a') + "\n[... 180 bytes cut ...]\n" + std::string(10, 'b'));
}

TEST(TruncateMiddle, NeverSplitsACharacter) {
  const std::string text = "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9";  // four two-byte characters
  EXPECT_EQ(truncate_middle(text, 5), "\xC3\xA9\n[... 4 bytes cut ...]\n\xC3\xA9");
}

TEST(Shorten, CutsOnACharacterBoundary) {
  EXPECT_EQ(shorten("abcdef", 10), "abcdef");
  EXPECT_EQ(shorten("abcdef", 3), "abc...");
  EXPECT_EQ(shorten("a\xC3\xA9", 2), "a...");
}

TEST(Redactor, MasksEveryOccurrenceOfEverySecret) {
  Redactor redactor;
  redactor.add_secret("hunter2");
  redactor.add_secret("hunter2-extra");
  redactor.add_secret("");
  EXPECT_EQ(redactor.redact("a hunter2 b hunter2-extra c hunter2"), "a *** b *** c ***");
  EXPECT_EQ(redactor.redact("nothing here"), "nothing here");
}

TEST(JoinFirst, NamesAFewAndCountsTheRest) {
  EXPECT_EQ(join_first({"a", "b"}, 3), "a; b");
  EXPECT_EQ(join_first({"a", "b", "c", "d", "e"}, 3), "a; b; c; and 2 more");
  EXPECT_EQ(join_first({}, 3), "");
}

TEST(TextTable, PadsColumnsToTheWidestCellAndAlignsAsAsked) {
  EXPECT_EQ(text_table({"table", "rows", "note"},
                       {{"public.orders", "3", "ok"}, {"x", "12345", ""}, {"short"}}, "lr"),
            "table           rows  note\n"
            "public.orders      3  ok\n"
            "x              12345\n"
            "short");
  EXPECT_EQ(text_table({"a"}, {}, ""), "a");
}

TEST(Redactor, MasksSecretsAsJsonWritesThem) {
  Redactor redactor;
  redactor.add_secret("a/b\"c");
  EXPECT_EQ(redactor.redact("raw a/b\"c"), "raw ***");
  EXPECT_EQ(redactor.redact("quoted \"a/b\\\"c\""), "quoted \"***\"");
  EXPECT_EQ(redactor.redact("slashed a\\/b\"c"), "slashed ***");
  EXPECT_EQ(redactor.redact("both a\\\\/b\\\"c"), "both ***");
}

TEST(Redactor, OverlappingSecretsLeaveNoTailVisible) {
  Redactor redactor;
  redactor.add_secret("abcdef");
  redactor.add_secret("defxyz");
  EXPECT_EQ(redactor.redact("<abcdefxyz>"), "<***>");
  EXPECT_EQ(redactor.redact("<defxyz abcdef>"), "<*** ***>");
  EXPECT_EQ(redactor.redact("aaa"), "aaa");
}

TEST(ClosestMatch, SuggestsOnlyCloseWords) {
  const std::vector<std::string> keys{"timeout", "retry", "needs", "tags"};
  EXPECT_EQ(closest_match("timeuot", keys), "timeout");
  EXPECT_EQ(closest_match("need", keys), "needs");
  EXPECT_EQ(closest_match("tgas", keys), "tags");
  EXPECT_EQ(closest_match("banana", keys), "");
}

}  // namespace
}  // namespace cutover
