#include "checks/database/segments.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cutover::database {

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
// Segments per table at most (a table of 10 billion rows has segments of 100,000 rows): memory
// holds a few dozen bytes per segment, so past this segments grow instead.
constexpr std::int64_t kMaxSegments = 100'000;
// Keyless tables: at most 2^kMaxHashBits segments.
constexpr int kMaxHashBits = 16;

std::int64_t clamp64(Int128 value) {
  if (value > kInt64Max) return kInt64Max;
  if (value < kInt64Min) return kInt64Min;
  return static_cast<std::int64_t>(value);
}

}  // namespace

Int128 parse_sum(std::string_view text) {
  Int128 value = 0;
  bool negative = false;
  for (char c : text) {
    if (c == '-') {
      negative = true;
    } else if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
    }
  }
  return negative ? -value : value;
}

void add_segments(Segments& into, const Segments& from) {
  for (const auto& [bucket, aggregate] : from) {
    Aggregate& total = into[bucket];
    total.count += aggregate.count;
    total.sum += aggregate.sum;
  }
}

std::int64_t segments_for(double rows, std::int64_t segment_rows) {
  return std::min<std::int64_t>(
      kMaxSegments, static_cast<std::int64_t>(std::ceil(rows / static_cast<double>(segment_rows))));
}

int hash_bits_for(std::int64_t segments) {
  int bits = 0;
  while (bits < kMaxHashBits && (std::int64_t{1} << bits) < segments)
    ++bits;
  return bits;
}

IntegerSegments integer_segments(std::int64_t low, std::int64_t high, std::int64_t segments) {
  const Int128 span = static_cast<Int128>(high) - low + 1;
  IntegerSegments result;
  result.offset = span <= kInt64Max ? low : 0;
  const Int128 width = (span + segments - 1) / std::max<std::int64_t>(segments, 1);
  result.width = static_cast<std::int64_t>(std::clamp<Int128>(width, 1, kInt64Max));
  return result;
}

std::vector<std::string> sample_bounds(const std::vector<std::string>& sample,
                                       std::int64_t segments) {
  std::vector<std::string> bounds;
  if (segments <= 1 || sample.size() <= 1) return bounds;
  const auto parts = static_cast<std::size_t>(
      std::min<std::int64_t>(segments, static_cast<std::int64_t>(sample.size())));
  for (std::size_t i = 1; i < parts; ++i) {
    const std::string& bound = sample[i * sample.size() / parts];
    if (bounds.empty() || bounds.back() != bound) bounds.push_back(bound);
  }
  return bounds;
}

std::pair<std::int64_t, std::int64_t> integer_segment(const IntegerSegments& segments,
                                                      std::int64_t bucket) {
  // Truncating division: bucket 0 holds offset-(width-1) .. offset+width-1.
  const Int128 width = segments.width;
  const Int128 start = static_cast<Int128>(bucket) * width + segments.offset;
  if (bucket > 0) return {clamp64(start), clamp64(start + width - 1)};
  if (bucket < 0) return {clamp64(start - width + 1), clamp64(start)};
  return {clamp64(start - width + 1), clamp64(start + width - 1)};
}

std::int64_t rows_in(const Segments& segments, std::int64_t bucket) {
  auto it = segments.find(bucket);
  return it == segments.end() ? 0 : it->second.count;
}

std::set<std::int64_t> segment_numbers(const std::array<Segments, 2>& sides) {
  std::set<std::int64_t> numbers;
  for (const Segments& segments : sides) {
    for (const auto& [bucket, aggregate] : segments)
      numbers.insert(bucket);
  }
  return numbers;
}

}  // namespace cutover::database
