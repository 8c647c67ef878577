#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Segment fingerprints, whatever the engine: each segment of a table (a range of its key, or of
// its row hashes) has a row count and the sum of its rows' 64-bit hashes, on each side.
namespace cutover::database {

using Int128 = __int128;

// A decimal sum, exactly, as a 128-bit integer (sums of at most 2^64 64-bit values fit).
Int128 parse_sum(std::string_view text);

struct Aggregate {
  std::int64_t count = 0;
  Int128 sum = 0;

  bool operator==(const Aggregate&) const = default;
};

// By segment number.
using Segments = std::map<std::int64_t, Aggregate>;

// Adds the counts and sums of `from` (one scan chunk) to `into`.
void add_segments(Segments& into, const Segments& from);

// How rows are assigned to segments.
enum class Bucketing {
  integer,  // a one-column integer key: bucket = key / width, refined by key range
  ordered,  // any other key: by sampled bounds of its first column
  hashed,   // no key: buckets by the top bits of the row hash; rows cannot be localised
};

// How many segments a table of `rows` rows gets, at `segment_rows` each, at most kMaxSegments.
std::int64_t segments_for(double rows, std::int64_t segment_rows);

// Keyless tables: the bits of the row hash that make at least `segments` buckets, at most 16.
int hash_bits_for(std::int64_t segments);

// An integer key from `low` to `high` in `segments` segments: each `width` keys wide, counted
// from `offset` (0 when key - low could overflow a bigint).
struct IntegerSegments {
  std::int64_t width = 1;
  std::int64_t offset = 0;
};
IntegerSegments integer_segments(std::int64_t low, std::int64_t high, std::int64_t segments);

// Other keys: lower bounds of segments 1..n taken evenly from a sorted sample of the key.
std::vector<std::string> sample_bounds(const std::vector<std::string>& sample,
                                       std::int64_t segments);

// The key range [first, last] of a top-level integer segment.
std::pair<std::int64_t, std::int64_t> integer_segment(const IntegerSegments& segments,
                                                      std::int64_t bucket);

// The rows counted in `segments` for `bucket`, 0 when it has none.
std::int64_t rows_in(const Segments& segments, std::int64_t bucket);

// Every segment number either side has.
std::set<std::int64_t> segment_numbers(const std::array<Segments, 2>& sides);

}  // namespace cutover::database
