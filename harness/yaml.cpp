#include "harness/yaml.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <yaml.h>

#include "harness/characters.hpp"

namespace cutover::yaml {
namespace {

// Aliases share nodes, so a few lines can name billions of them ("billion laughs"), or a large
// text many times over; the loader walks and copies them all. No suite comes near either cap.
constexpr std::size_t kMaxExpandedNodes = 1'000'000;
constexpr std::size_t kMaxExpandedBytes = std::size_t{64} * 1024 * 1024;

// An anchor's name ("" for none).
std::string anchor_name(const yaml_char_t* anchor) {
  return anchor == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(anchor));
}

Mark mark_of(const yaml_mark_t& mark) {
  return {static_cast<int>(mark.line) + 1, static_cast<int>(mark.column) + 1};
}

bool is_null_text(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

std::size_t saturating_add(std::size_t a, std::size_t b) {
  return a > std::numeric_limits<std::size_t>::max() - b ? std::numeric_limits<std::size_t>::max()
                                                         : a + b;
}

struct ParserDeleter {
  void operator()(yaml_parser_t* parser) const {
    yaml_parser_delete(parser);
    delete parser;
  }
};

// What a node stands for once its aliases are expanded.
struct Extent {
  std::size_t nodes = 1;
  std::size_t bytes = 0;  // of scalar text
  int height = 0;         // collections nested in it, itself included: 0 for a scalar

  void add(const Extent& child) {
    nodes = saturating_add(nodes, child.nodes);
    bytes = saturating_add(bytes, child.bytes);
    height = std::max(height, child.height + 1);
  }
};

struct Event {
  yaml_event_t event{};
  ~Event() { yaml_event_delete(&event); }
};

}  // namespace

// Turns libyaml's events into nodes: a stack of the collections being read, each node added to
// its parent when it is complete.
class Builder {
 public:
  Expected<Document, SyntaxError> build(std::string_view text);

 private:
  struct Open {
    Node node;
    std::string anchor;
    yaml_mark_t start{};
    Extent extent{.height = 1};  // aliases counted in full
    const Node* key = nullptr;   // a mapping's key waiting for its value
  };
  struct Anchored {
    const Node* node;
    Extent extent;
  };

  // One event of the document's body; false after a mistake, which failure_ holds (so do the
  // functions below that return bool).
  bool read_event(const yaml_event_t& e);
  bool read_scalar(const yaml_event_t& e);
  bool open_collection(const yaml_event_t& e);
  bool read_alias(const yaml_event_t& e);
  // Stores a complete node, registers its anchor, and hands it to its parent.
  bool add(Node node, const std::string& anchor, const yaml_mark_t& mark, const Extent& extent);
  bool attach(const Node* node, const Extent& extent, const yaml_mark_t& mark);
  // Whether a collection `height` levels high fits at the current depth.
  bool fits_depth(int height, const yaml_mark_t& mark);
  bool fail(const yaml_mark_t& mark, std::string message);
  // A tag other than !!str, on a scalar or a collection.
  bool fail_tag(const yaml_mark_t& mark, std::string_view tag);

  static Expected<Document, SyntaxError> failure(const yaml_mark_t& mark, std::string message);
  static Expected<Document, SyntaxError> syntax_error(const yaml_parser_t& parser,
                                                      std::string_view text);

  Document document_;
  std::vector<Open> open_;
  std::map<std::string, Anchored, std::less<>> anchors_;
  SyntaxError failure_;
};

Expected<Document, SyntaxError> Builder::build(std::string_view text) {
  std::unique_ptr<yaml_parser_t, ParserDeleter> parser(new yaml_parser_t);
  if (yaml_parser_initialize(parser.get()) == 0) {
    delete parser.release();
    return outcome::failure(SyntaxError{{}, "out of memory"});
  }
  yaml_parser_set_input_string(parser.get(), reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  int documents = 0;
  for (;;) {
    Event event;
    if (yaml_parser_parse(parser.get(), &event.event) == 0) return syntax_error(*parser, text);
    const yaml_event_t& e = event.event;
    if (e.type == YAML_STREAM_END_EVENT) {
      if (document_.root_ == nullptr) {
        document_.root_ = &document_.nodes_.emplace_back(Node{.mark = {1, 1}});
      }
      return std::move(document_);
    }
    if (e.type == YAML_DOCUMENT_START_EVENT && ++documents > 1) {
      return failure(e.start_mark, "a suite file holds one YAML document; this is a second one");
    }
    if (!read_event(e)) return outcome::failure(std::move(failure_));
  }
}

bool Builder::read_event(const yaml_event_t& e) {
  switch (e.type) {
    case YAML_SCALAR_EVENT:
      return read_scalar(e);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
      return open_collection(e);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
      Open open = std::move(open_.back());
      open_.pop_back();
      return add(std::move(open.node), open.anchor, open.start, open.extent);
    }
    case YAML_ALIAS_EVENT:
      return read_alias(e);
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
      break;
  }
  return true;
}

bool Builder::read_scalar(const yaml_event_t& e) {
  const auto& scalar = e.data.scalar;
  Node node{.mark = mark_of(e.start_mark)};
  node.scalar.assign(reinterpret_cast<const char*>(scalar.value), scalar.length);
  if (scalar.tag != nullptr) {
    const std::string_view tag(reinterpret_cast<const char*>(scalar.tag));
    if (tag != YAML_STR_TAG) {
      return fail_tag(e.start_mark, tag);
    }
    node.plain = false;
  } else {
    node.plain = scalar.style == YAML_PLAIN_SCALAR_STYLE;
  }
  if (node.plain && is_null_text(node.scalar)) {
    node.type = NodeType::null;
    node.scalar.clear();
  } else {
    node.type = NodeType::scalar;
  }
  const Extent extent{.bytes = node.scalar.size()};
  return add(std::move(node), anchor_name(scalar.anchor), e.start_mark, extent);
}

bool Builder::open_collection(const yaml_event_t& e) {
  const bool sequence = e.type == YAML_SEQUENCE_START_EVENT;
  const yaml_char_t* tag = sequence ? e.data.sequence_start.tag : e.data.mapping_start.tag;
  if (tag != nullptr) {
    return fail_tag(e.start_mark, reinterpret_cast<const char*>(tag));
  }
  if (!fits_depth(1, e.start_mark)) return false;
  Open open;
  open.node.type = sequence ? NodeType::sequence : NodeType::map;
  open.node.mark = mark_of(e.start_mark);
  open.anchor = anchor_name(sequence ? e.data.sequence_start.anchor : e.data.mapping_start.anchor);
  open.start = e.start_mark;
  open_.push_back(std::move(open));
  return true;
}

bool Builder::read_alias(const yaml_event_t& e) {
  const std::string name(reinterpret_cast<const char*>(e.data.alias.anchor));
  auto it = anchors_.find(name);
  if (it == anchors_.end()) {
    return fail(e.start_mark, fmt::format("unknown alias '*{}' (no complete node is anchored "
                                          "'&{}' before it)",
                                          name, name));
  }
  if (!fits_depth(it->second.extent.height, e.start_mark)) return false;
  return attach(it->second.node, it->second.extent, e.start_mark);
}

bool Builder::add(Node node, const std::string& anchor, const yaml_mark_t& mark,
                  const Extent& extent) {
  const Node* stored = &document_.nodes_.emplace_back(std::move(node));
  if (!anchor.empty()) {
    anchors_[anchor] = Anchored{stored, extent};
  }
  return attach(stored, extent, mark);
}

bool Builder::attach(const Node* node, const Extent& extent, const yaml_mark_t& mark) {
  if (open_.empty()) {
    document_.root_ = node;
    return true;
  }
  Open& parent = open_.back();
  parent.extent.add(extent);
  if (parent.extent.nodes > kMaxExpandedNodes) {
    return fail(mark, fmt::format("aliases expand this document past {} nodes", kMaxExpandedNodes));
  }
  if (parent.extent.bytes > kMaxExpandedBytes) {
    return fail(mark, fmt::format("aliases expand this document past {} MiB of text",
                                  kMaxExpandedBytes / (1024 * 1024)));
  }
  if (parent.node.type == NodeType::sequence) {
    parent.node.items.push_back(node);
  } else if (parent.key == nullptr) {
    parent.key = node;
  } else {
    parent.node.entries.emplace_back(parent.key, node);
    parent.key = nullptr;
  }
  return true;
}

bool Builder::fits_depth(int height, const yaml_mark_t& mark) {
  if (open_.size() + static_cast<std::size_t>(height) <= kMaxDepth) return true;
  return fail(mark, fmt::format("lists and mappings nest deeper than {} levels", kMaxDepth));
}

bool Builder::fail(const yaml_mark_t& mark, std::string message) {
  failure_ = SyntaxError{mark_of(mark), std::move(message)};
  return false;
}

bool Builder::fail_tag(const yaml_mark_t& mark, std::string_view tag) {
  return fail(mark, fmt::format("the tag '{}' is not supported (only !!str)",
                                escape_control_characters(tag)));
}

Expected<Document, SyntaxError> Builder::failure(const yaml_mark_t& mark, std::string message) {
  return outcome::failure(SyntaxError{mark_of(mark), std::move(message)});
}

Expected<Document, SyntaxError> Builder::syntax_error(const yaml_parser_t& parser,
                                                      std::string_view text) {
  std::string message = parser.problem != nullptr ? parser.problem : "malformed YAML";
  if (parser.error == YAML_READER_ERROR) {
    // Bad encoding: libyaml gives a byte offset only.
    const std::string_view before = text.substr(0, std::min(parser.problem_offset, text.size()));
    const std::size_t line_start = before.rfind('\n');
    const auto line = static_cast<int>(std::count(before.begin(), before.end(), '\n')) + 1;
    const auto column = static_cast<int>(
        before.size() - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1);
    return outcome::failure(SyntaxError{{line, column}, std::move(message)});
  }
  if (parser.context != nullptr) {
    message += fmt::format(" ({} that starts at {}:{})", parser.context,
                           parser.context_mark.line + 1, parser.context_mark.column + 1);
  }
  return failure(parser.problem_mark, std::move(message));
}

Expected<Document, SyntaxError> parse(std::string_view text) {
  return Builder().build(text);
}

}  // namespace cutover::yaml
