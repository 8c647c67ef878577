#pragma once

#include <string>
#include <string_view>

namespace cutover {

// Which characters HTML text needs escaped where it goes.
enum class HtmlEscape {
  // & < > only: enough between tags, as in the HTML blocks of the Markdown summary.
  element_text,
  // Also " and ', so the text may go in attribute values too, and control characters other than
  // tab and line breaks become U+FFFD, as HTML parsers would treat them as errors.
  anywhere,
};

// Appends `text`, which must be valid UTF-8 (clean_text makes it so), to `out` with the
// characters `escape` names written as entities.
void append_html_escaped(std::string& out, std::string_view text, HtmlEscape escape);

}  // namespace cutover
