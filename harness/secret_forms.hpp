#pragma once

#include <string>
#include <string_view>
#include <vector>

// How a secret may be written in a text that reaches a person, for the Redactor.
namespace cutover::detail {

// The secret as written and as encoders write it:
// - JSON-escaped (quotes, backslashes, control characters; non-ASCII as it is or as \uXXXX; "/"
//   as it is or as "\/"), and JSON-escaped again up to three levels deep, as a server that quotes
//   a JSON request body inside its own JSON answer writes it;
// - percent-encoded (hex in capitals or small letters, a space as %20 or "+", "/" encoded or
//   kept as Python's quote() keeps it);
// - HTML-escaped, as a page that echoes a form field writes it;
// - base64, standard and URL-safe, padded or not, whole; and the characters of its base64 that
//   do not depend on the bytes around it, at each of the 3 alignments a secret can have inside a
//   longer base64 stream (Basic credentials "user:secret", a token's payload). Of those, only the
//   ones of at least `shortest` characters.
// Every form differs from the others; the first is the secret itself.
std::vector<std::string> written_forms(std::string_view secret, std::size_t shortest);

// The parts of a secret between spaces, "/", "@" and ":", of at least `shortest` bytes: what a
// library quotes when the secret broke the syntax around it (libpq's `missing "=" after
// "SECRETpwD"` from an unquoted password with a space, or a URI password with a "/" read as the
// port). Nothing when the secret has none of these separators.
std::vector<std::string> fragments(std::string_view secret, std::size_t shortest);

}  // namespace cutover::detail
