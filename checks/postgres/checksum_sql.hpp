#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/database/segments.hpp"
#include "checks/postgres/pool.hpp"
#include "checks/postgres/tables.hpp"

// The SQL of postgres.checksum: what it learns of a table from the catalog, and the queries that
// fingerprint segments of it inside the database, the same text on both sides.
namespace cutover::postgres::checksum {

// How a row is hashed.
//   native: hash_record_extended over the compared columns in name order, each hashed by its
//     type's own extended hash function, so equal values hash equal (1.5 and 1.50, -0 and 0,
//     char(n) padding); bigint with its high half and times through their binary form (their
//     hash folds 64 bits into 32), numeric's NaN and infinities as text (they hash alike), and
//     every other type (arrays, jsonb, enums whose hash is an
//     OID, intervals, citext, columns of another type on the other side) as text in "C"
//     collation. PostgreSQL 14 and later.
//   canonical: the first 64 bits of the md5 of a text any engine can rebuild: for each column
//     in name order 'N' for NULL, or 'V' <length in characters> ':' <text>; numbers without
//     trailing zeros, times in UTC ISO 8601.
// Either way a segment's fingerprint sums each row's hash mixed once more (see scan_sql).
enum class Mode { native, canonical };

struct Normalisation {
  std::optional<int> float_digits;         // float4/float8 compared to this many digits
  std::optional<int> timestamp_precision;  // fractional second digits, 0..6 (rounded)
  bool trim_char = true;                   // char(n) without its padding spaces
};

struct Column {
  std::string name;
  std::string type;       // format_type: numeric(12,2), character(3), text[]
  std::string base;       // the type under any domain: numeric, bpchar, _text
  char category = 'X';    // pg_type.typcategory of base: N numeric, D date/time, S string, A array
  bool hashable = false;  // hashed natively (a built-in type whose hash equals only equal
                          // values); others are hashed as text
  bool collatable = false;
};

bool is_integer_type(std::string_view base);  // int2, int4, int8

// The column named `name`, or null.
const Column* find_column(const std::vector<Column>& columns, std::string_view name);

// What one side knows of a table.
struct TableInfo {
  bool exists = false;
  std::vector<Column> columns;          // in name order
  std::vector<std::string> key;         // primary key, else the narrowest unique not-null key
  double estimated_rows = 0;            // from the statistics; 0 when unknown
  std::int64_t pages = 0;               // of the largest partition for a partitioned table
  std::optional<std::int64_t> min_key;  // an integer key's range
  std::optional<std::int64_t> max_key;
  std::vector<std::string> sample;  // of the first key column, sorted, for other keys
  int server_version = 0;
};

// Reads `table`'s columns, key and size, the range of an integer key, and, for other keys
// of tables over `segment_rows` rows, a sample of the key's first column sorted in "C" order,
// about kSamplePerSegment values per segment.
constexpr int kSamplePerSegment = 20;
TableInfo describe_table(Session& session, const Table& table, const std::string& where,
                         std::int64_t segment_rows);

// How rows are assigned to segments (the compare core's, see checks/database/segments.hpp).
using Bucketing = database::Bucketing;

// The compare of one table, the same on both sides but for per-side types.
struct TablePlan {
  std::string table;  // quoted schema.name
  std::string where;  // the user's filter, or TRUE
  std::vector<std::string> key;
  std::vector<std::string> columns;  // compared, in name order (key columns included)
  Bucketing bucketing = Bucketing::hashed;
  std::int64_t width = 1;           // integer: key range of a top-level segment...
  std::int64_t offset = 0;          // ...counted from this key
  std::vector<std::string> bounds;  // ordered: lower bounds of segments 1..n
  int hash_bits = 0;                // hashed: 2^bits segments
  std::string key_type_source;      // ordered: the first key column's type on each side
  std::string key_type_target;
  bool key_collatable = false;
  std::string row_hash;                    // SQL of the row's 64-bit hash
  std::vector<std::string> column_hashes;  // SQL of each compared column's hash, as text
};

// SQL expressions for `plan` given both sides' column lists (matched by name).
void build_expressions(TablePlan& plan, const std::vector<Column>& source,
                       const std::vector<Column>& target, Mode mode,
                       const Normalisation& normalisation);

// The segment expression of a side.
std::string bucket_sql(const TablePlan& plan, bool target_side);

// Counts and hash sums by segment of the rows within `chunk` (a condition on ctid) and in
// `segments` (a segment_condition, or TRUE): rows of (bucket bigint, count bigint, sum numeric
// as text).
std::string scan_sql(const TablePlan& plan, bool target_side, const std::string& chunk,
                     const std::string& segments);

// Integer keys: counts and sums of the sub-segments of [low, high] `width` keys wide (rows of
// sub-index, count, sum), through the key's index.
std::string refine_sql(const TablePlan& plan, std::int64_t low, std::int64_t high,
                       std::int64_t width);

// Keyed tables: the key (as text, one column each), row hash and column hashes of the rows
// matching `condition`.
std::string rows_sql(const TablePlan& plan, const std::string& condition);

// Keyless tables: each distinct row hash and how many rows have it, in the given segments.
std::string hash_counts_sql(const TablePlan& plan, bool target_side,
                            const std::vector<std::int64_t>& buckets);

// The condition selecting rows of the given segments.
std::string segment_condition(const TablePlan& plan, bool target_side,
                              const std::vector<std::int64_t>& buckets);

// A key range condition on an integer key: key BETWEEN first AND last.
std::string range_condition(const TablePlan& plan, std::int64_t first, std::int64_t last);

}  // namespace cutover::postgres::checksum
