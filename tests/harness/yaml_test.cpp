#include "harness/yaml.hpp"

#include <chrono>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace cutover::yaml {
namespace {

Document parsed(std::string_view text) {
  auto document = parse(text);
  EXPECT_TRUE(document) << document.error().message;
  return std::move(document).value();
}

std::string error_of(std::string_view text) {
  auto document = parse(text);
  if (document) return "parsed";
  const SyntaxError& e = document.error();
  return std::to_string(e.mark.line) + ":" + std::to_string(e.mark.column) + ": " + e.message;
}

TEST(Yaml, MappingsKeepTheirEntriesInOrderWithPositions) {
  Document document = parsed("suite: s\nchecks:\n  - { name: a, kind: tcp }\n");
  const Node& root = document.root();
  ASSERT_TRUE(root.is_map());
  ASSERT_EQ(root.entries.size(), 2u);
  EXPECT_EQ(root.entries[0].first->scalar, "suite");
  EXPECT_EQ(root.entries[0].second->scalar, "s");
  EXPECT_EQ(root.entries[0].second->mark.line, 1);
  EXPECT_EQ(root.entries[0].second->mark.column, 8);
  const Node& checks = *root.entries[1].second;
  ASSERT_TRUE(checks.is_sequence());
  ASSERT_EQ(checks.items.size(), 1u);
  const Node& check = *checks.items[0];
  EXPECT_EQ(check.mark.line, 3);
  EXPECT_EQ(check.mark.column, 5);
  ASSERT_EQ(check.entries.size(), 2u);
  EXPECT_EQ(check.entries[1].first->scalar, "kind");
  EXPECT_EQ(check.entries[1].first->mark.column, 16);
}

TEST(Yaml, DuplicateKeysAreKeptForTheLoaderToReport) {
  Document document = parsed("a: 1\na: 2\n");
  ASSERT_EQ(document.root().entries.size(), 2u);
  EXPECT_EQ(document.root().entries[1].second->scalar, "2");
}

TEST(Yaml, NullIsEmptyTildeOrTheWordNullWhenPlain) {
  Document document = parsed("a:\nb: ~\nc: null\nd: NULL\ne: \"null\"\nf: ''\ng: nil\n");
  const auto& entries = document.root().entries;
  ASSERT_EQ(entries.size(), 7u);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(entries[i].second->type, NodeType::null) << entries[i].first->scalar;
  EXPECT_TRUE(entries[4].second->is_scalar());
  EXPECT_EQ(entries[4].second->scalar, "null");
  EXPECT_FALSE(entries[4].second->plain);
  EXPECT_TRUE(entries[5].second->is_scalar());
  EXPECT_EQ(entries[5].second->scalar, "");
  EXPECT_TRUE(entries[6].second->is_scalar());
  EXPECT_TRUE(entries[6].second->plain);
}

TEST(Yaml, QuotedBlockAndStrTaggedScalarsAreNotPlain) {
  Document document = parsed("a: 5\nb: '5'\nc: !!str 5\nd: |\n  5\n");
  const auto& entries = document.root().entries;
  EXPECT_TRUE(entries[0].second->plain);
  EXPECT_FALSE(entries[1].second->plain);
  EXPECT_FALSE(entries[2].second->plain);
  EXPECT_EQ(entries[2].second->scalar, "5");
  EXPECT_FALSE(entries[3].second->plain);
  EXPECT_EQ(entries[3].second->scalar, "5\n");
}

TEST(Yaml, OtherTagsAreErrors) {
  EXPECT_EQ(error_of("a: !!int 5\n"),
            "1:4: the tag 'tag:yaml.org,2002:int' is not supported (only !!str)");
  EXPECT_EQ(error_of("a: !custom [1]\n"), "1:4: the tag '!custom' is not supported (only !!str)");
}

TEST(Yaml, AnAliasIsTheAnchoredNode) {
  Document document = parsed("base: &b { timeout: 5s }\nother: *b\n");
  const auto& entries = document.root().entries;
  EXPECT_EQ(entries[0].second, entries[1].second);
  EXPECT_EQ(entries[1].second->entries[0].second->scalar, "5s");
}

TEST(Yaml, UnknownAndSelfReferencingAliasesAreErrors) {
  EXPECT_EQ(error_of("a: *nowhere\n"),
            "1:4: unknown alias '*nowhere' (no complete node is anchored '&nowhere' before it)");
  EXPECT_EQ(error_of("a: &x [1, *x]\n"),
            "1:11: unknown alias '*x' (no complete node is anchored '&x' before it)");
}

TEST(Yaml, AliasesThatExpandPastAMillionNodesAreErrors) {
  // Each level doubles: 2^21 nodes from a few lines.
  std::string text = "l0: &l0 [x, x]\n";
  for (int i = 1; i <= 20; ++i) {
    text += fmt::format("l{0}: &l{0} [*l{1}, *l{1}]\n", i, i - 1);
  }
  EXPECT_EQ(error_of(text), "18:6: aliases expand this document past 1000000 nodes");
}

// Nesting 100,000 deep took libyaml 26 s (its time grows with the square of the depth) and
// then overflowed the loader's stack; the depth is judged as events arrive.
std::string timed_error_of(std::string_view text) {
  const auto start = std::chrono::steady_clock::now();
  std::string error = error_of(text);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  return error;
}

TEST(Yaml, NestingDeeperThan256LevelsIsAnErrorAtOnce) {
  constexpr int kDepth = 100'000;
  std::string flow(kDepth, '[');
  EXPECT_EQ(timed_error_of(flow + "x" + std::string(kDepth, ']')),
            "1:257: lists and mappings nest deeper than 256 levels");
  std::string json;
  for (int i = 0; i < kDepth; ++i)
    json += "{\"a\":";
  EXPECT_EQ(timed_error_of(json + "1" + std::string(kDepth, '}')),
            "1:1281: lists and mappings nest deeper than 256 levels");
  std::string block;
  for (int i = 0; i < kDepth; ++i)
    block += "- ";
  EXPECT_EQ(timed_error_of(block + "x\n"), "1:513: lists and mappings nest deeper than 256 levels");
}

TEST(Yaml, NestingOf256LevelsIsRead) {
  Document document = parsed(std::string(256, '[') + std::string(256, ']'));
  const Node* node = &document.root();
  int depth = 0;
  for (; node->is_sequence() && !node->items.empty(); node = node->items[0])
    ++depth;
  EXPECT_EQ(depth, 255);
}

TEST(Yaml, AnAliasCountsTheDepthOfItsNode) {
  std::string text = "deep: &d " + std::string(200, '[') + std::string(200, ']') +
                     "\nplace: " + std::string(100, '[') + "*d" + std::string(100, ']') + "\n";
  EXPECT_EQ(error_of(text), "2:108: lists and mappings nest deeper than 256 levels");
}

TEST(Yaml, AliasesThatExpandPast64MiBOfTextAreErrors) {
  // 64 KiB aliased 100,000 times: a file of 400 KB that stands for 6.5 GB.
  std::string text = "big: &big \"" + std::string(64 * 1024, 'x') + "\"\nmany: [";
  for (int i = 0; i < 100'000; ++i)
    text += "*big, ";
  text += "end]\n";
  EXPECT_EQ(error_of(text), "2:6152: aliases expand this document past 64 MiB of text");
}

TEST(Yaml, JsonIsReadIncludingTabs) {
  Document document = parsed("{\n\t\"suite\": \"s\",\n\t\"n\": [1, true, null]\n}\n");
  const auto& entries = document.root().entries;
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].second->scalar, "s");
  EXPECT_FALSE(entries[0].second->plain);
  EXPECT_EQ(entries[1].second->mark.line, 3);
  ASSERT_EQ(entries[1].second->items.size(), 3u);
  EXPECT_EQ(entries[1].second->items[2]->type, NodeType::null);
}

TEST(Yaml, AnEmptyFileIsANullRoot) {
  Document document = parsed("# nothing\n");
  EXPECT_EQ(document.root().type, NodeType::null);
  EXPECT_EQ(document.root().mark.line, 1);
}

TEST(Yaml, ASecondDocumentIsAnError) {
  EXPECT_EQ(error_of("a: 1\n---\nb: 2\n"),
            "2:1: a suite file holds one YAML document; this is a second one");
}

TEST(Yaml, SyntaxErrorsSayWhereAndInWhat) {
  EXPECT_EQ(error_of("a: [1, 2\n"),
            "2:1: did not find expected ',' or ']' (while parsing a flow sequence that starts at "
            "1:4)");
  EXPECT_EQ(error_of("a: \"\xff\"\n"), "1:5: invalid leading UTF-8 octet");
}

}  // namespace
}  // namespace cutover::yaml
