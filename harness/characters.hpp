#pragma once

#include <optional>
#include <string>
#include <string_view>

// Which characters a suite's text may hold. A control character in a name or an address reaches
// system calls and libraries as a C string (a NUL ends it: host "127.0.0.1\0evil" connected to
// 127.0.0.1), protocol lines (CR LF in a header value starts another header) and report labels
// (Prometheus, JUnit); it is never what the author meant.
namespace cutover {

enum class Characters {
  printable,  // no control character (U+0000-U+001F, U+007F-U+009F): names, tags, phases, hosts,
              // URLs, paths, headers, DSNs, choices; the default
  multiline,  // also tab, line feed and carriage return: descriptions, SQL, expected text
  any,        // every character, NUL included: request bodies, which are sent as data
};

// What `allowed` admits, for messages and `cutover kinds`: "text without control characters".
std::string_view to_string(Characters allowed);

// The first character `allowed` refuses, named with its place, as in "NUL (\0) at character 10";
// nothing when every character is allowed. The text itself is never quoted: it may hold a secret.
std::optional<std::string> forbidden_character(std::string_view text, Characters allowed);

// `text` with every control character written as a suite escapes it ("a\0b"), for messages that
// show text from a suite file as written (before variables: it holds no secret's value).
std::string escape_control_characters(std::string_view text);

// "expected text without control characters, got NUL (\0) at character 10", or nothing.
std::optional<std::string> characters_problem(std::string_view text, Characters allowed);

}  // namespace cutover
