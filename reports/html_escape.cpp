#include "reports/html_escape.hpp"

namespace cutover {

void append_html_escaped(std::string& out, std::string_view text, HtmlEscape escape) {
  const bool anywhere = escape == HtmlEscape::anywhere;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        continue;
      case '<':
        out += "&lt;";
        continue;
      case '>':
        out += "&gt;";
        continue;
      case '"':
        out += anywhere ? "&quot;" : "\"";
        continue;
      case '\'':
        out += anywhere ? "&#39;" : "'";
        continue;
      case '\t':
      case '\n':
      case '\r':
        out += c;
        continue;
      default:
        break;
    }
    if (anywhere && (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)) {
      out += "\xEF\xBF\xBD";
    } else {
      out += c;
    }
  }
}

}  // namespace cutover
