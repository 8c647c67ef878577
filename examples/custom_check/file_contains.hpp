#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover::examples {

namespace detail {
struct FileContainsTarget;
}  // namespace detail

// The `file_contains` kind: reads a text file line by line and checks that some line contains a
// pattern (expect present), or that none does (expect absent): "the app's config names the new
// database host and no longer the old one". The pattern is plain text, or an ECMAScript regular
// expression with `match: regex`.
class FileContainsCheck : public Check {
 public:
  static KindSpec spec();

  explicit FileContainsCheck(Fields& fields);
  ~FileContainsCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::FileContainsTarget> target_;  // shared with reads in flight
};

}  // namespace cutover::examples
