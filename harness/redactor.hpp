#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cutover {

// Knows the values of every `${secret:NAME}` a run read (and the passwords of its DSNs) and
// replaces them with "***" in any text before it leaves the process: console, reports, error
// messages. Text is redacted whole, before it is escaped, encoded or cut.
//
// A secret of kShortest bytes or more is masked wherever it appears, in every form an encoder
// writes it (JSON-escaped, percent-encoded, HTML-escaped, base64; see secret_forms.hpp), and so
// are its parts between spaces, "/", "@" and ":" of that length. A shorter secret cannot be
// masked everywhere without showing it ("e" would turn "connect" into "conn***ct"): it is masked
// only where a password stands, as the whole value after "=" (`password=e`, `?token=e`), in a
// URI's user-info (`://user:e@`), and as a header's value (`Authorization: Bearer e`).
class Redactor {
 public:
  static constexpr std::string_view kMask = "***";
  static constexpr std::size_t kShortest = 4;

  Redactor() = default;

  // A redactor that masks `base`'s secrets besides those added to it, in one pass, without
  // copying them: an attempt extends the run's with the secrets it captures. `base` must outlive
  // it.
  static Redactor extending(const Redactor& base);

  // Whether secrets were added to this redactor itself, besides those of the one it extends.
  bool has_own_secrets() const { return !forms_.empty() || !short_secrets_.empty(); }

  // Called by the suite loader for every secret value it substitutes and every DSN password,
  // and by checks for the secrets they learn (captured tokens).
  void add_secret(std::string value);

  std::string redact(std::string_view text) const;

  // Which ends of a text are cuts of a longer one: the start of a secret left at a cut end, or
  // its end at a cut start, is masked too when it is kShortest bytes or more.
  struct Cuts {
    bool before = false;  // the text starts inside a longer one
    bool after = false;   // the text stops before the end of a longer one
  };
  std::string redact(std::string_view text, Cuts cuts) const;

  // The longest text one form of a secret spans: a part of a text redacted with this much more
  // on each side (and Cuts saying so) is masked as the whole text would be.
  std::size_t longest_form() const {
    return base_ == nullptr ? longest_ : std::max(longest_, base_->longest_form());
  }

  bool empty() const { return !has_own_secrets() && (base_ == nullptr || base_->empty()); }

 private:
  // Marks in `secret` the bytes of `text` that this redactor's own secrets cover.
  void mark_own(std::string_view text, Cuts cuts, std::vector<bool>& secret) const;

  const Redactor* base_ = nullptr;
  std::vector<std::string> forms_;          // masked wherever they appear
  std::vector<std::string> short_secrets_;  // masked where a password stands
  std::size_t longest_ = 0;
};

// A Redactor that knows no secret, for work outside a run.
const Redactor& no_secrets();

}  // namespace cutover
