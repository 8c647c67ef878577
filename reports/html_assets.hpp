#pragma once

#include <string_view>

namespace cutover::detail {

// The HTML report's own style sheet, inline script and content security policy: the page's
// fixed parts, kept apart from the code that writes a run into it.
extern const std::string_view kHtmlStyle;
extern const std::string_view kHtmlScript;
extern const std::string_view kHtmlPolicy;

}  // namespace cutover::detail
