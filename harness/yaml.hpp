#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/expected.hpp"

// A suite file read into plain nodes that remember where they start, for the loader's
// file:line:col messages. libyaml (the YAML reference parser, also behind PyYAML and Ruby's
// Psych) does the parsing; it reads a 10,000-check suite an order of magnitude faster than
// yaml-cpp builds its tree. JSON suites are read the same way: JSON is YAML's flow style.
namespace cutover::yaml {

// Where a node starts: line and column from 1.
struct Mark {
  int line = 0;
  int column = 0;
};

enum class NodeType { null, scalar, sequence, map };

struct Node {
  NodeType type = NodeType::null;
  Mark mark;
  // A scalar's text. Empty for null.
  std::string scalar{};
  // A plain scalar (not quoted, not a block scalar, not tagged !!str): only these read as
  // numbers, booleans or null.
  bool plain = true;
  // A sequence's items.
  std::vector<const Node*> items{};
  // A mapping's entries in file order, duplicate keys kept for the loader to report.
  std::vector<std::pair<const Node*, const Node*>> entries{};

  bool is_scalar() const { return type == NodeType::scalar; }
  bool is_sequence() const { return type == NodeType::sequence; }
  bool is_map() const { return type == NodeType::map; }
};

// The nodes of one document. An alias is the node its anchor names, shared, not copied.
class Document {
 public:
  const Node& root() const { return *root_; }

 private:
  friend class Builder;
  std::deque<Node> nodes_;
  const Node* root_ = nullptr;
};

struct SyntaxError {
  Mark mark;
  std::string message;
};

// How deep lists and mappings may nest, aliases expanded. Everything that reads nodes recurses
// over them; the depth is judged as libyaml's events arrive, so a file nested a million deep is
// rejected in milliseconds rather than parsed (libyaml's time grows with the square of depth).
inline constexpr std::size_t kMaxDepth = 256;

// One YAML document (or none: an empty file is a null root). A second document, an unknown
// alias, a tag other than !!str, nesting deeper than kMaxDepth, or aliases that expand past a
// million nodes or 64 MiB of text are errors.
Expected<Document, SyntaxError> parse(std::string_view text);

}  // namespace cutover::yaml
