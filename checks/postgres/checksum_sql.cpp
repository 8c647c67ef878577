#include "checks/postgres/checksum_sql.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pqxx/result>
#include <pqxx/transaction>

namespace cutover::postgres::checksum {

namespace {

bool is_float(const std::string& base) {
  return base == "float4" || base == "float8";
}

bool is_time(const std::string& base) {
  return base == "timestamp" || base == "timestamptz" || base == "time" || base == "timetz";
}

// Types hashed by their own extended hash function in native mode: built-in ones whose hash
// tells apart every two values PostgreSQL's = does, and that no OID or collation enters. (Not
// arrays: '{1,2}' and '[0:1]={1,2}' hash alike; not jsonb: its hash XORs structure, so [[],[]]
// and [[[]]] hash alike.) bigint's hash folds its two halves together (1 and 4294967296 hash
// alike), so its high half is hashed too; times, stored alike, are hashed through their binary
// form. Everything else is hashed as text.
constexpr std::string_view kNativeTypes =
    "'int2', 'int4', 'int8', 'numeric', 'float4', 'float8', 'bool', 'date', 'timestamp', "
    "'timestamptz', 'time', 'uuid', 'bytea', 'text', 'varchar', 'bpchar', 'inet', 'cidr', "
    "'macaddr', 'macaddr8'";

// Seed of the native hashes. Not 0: a column's hash of float 0 is its seed, and NULL adds 0.
constexpr std::string_view kSeed = "1442695040888963407";

constexpr int kRowsPerPageGuess = 50;

// Text compared byte for byte, whatever the column's collation (a nondeterministic one, or
// citext, would make 'ABC' equal 'abc').
std::string c_collated(const std::string& text) {
  return "(" + text + ") COLLATE \"C\"";
}

// The value of a column made comparable: rounded and trimmed as asked. `as_text`: the result is
// text (canonical mode, or a column hashed as text), compared byte for byte.
std::string normalised(const std::string& column, const Column& type, const Normalisation& norm,
                       bool as_text, Mode mode) {
  if (is_float(type.base) && norm.float_digits) {
    const int digits = *norm.float_digits;
    const std::string format = digits > 1 ? "9." + std::string(digits - 1, '9') + "EEEE" : "9EEEE";
    return c_collated(
        fmt::format("CASE WHEN {0} IS NULL THEN NULL WHEN {0} = 0 THEN '0' "
                    "WHEN {0} IN ('NaN', 'Infinity', '-Infinity') THEN {0}::text "
                    "ELSE ltrim(to_char({0}, '{1}')) END",
                    column, format));
  }
  if (is_time(type.base) && norm.timestamp_precision) {
    const std::string rounded =
        fmt::format("{}::{}({})", column, type.base, *norm.timestamp_precision);
    return as_text ? c_collated(rounded + "::text") : rounded;
  }
  if (type.base == "bpchar" && !norm.trim_char) {
    return c_collated(fmt::format(
        "{0}::text || repeat(' ', octet_length({0}) - octet_length({0}::text))", column));
  }
  if (mode == Mode::canonical && type.base == "numeric")
    return c_collated(fmt::format("trim_scale({})::text", column));
  if (as_text) return c_collated(column + "::text");
  if (type.collatable) return column + " COLLATE \"C\"";
  return column;
}

std::string md5_bigint(const std::string& text) {
  return fmt::format("('x' || substr(md5({}), 1, 16))::bit(64)::bigint", text);
}

// Rows of a relation from its statistics; never analysed (reltuples -1, as right after a
// restore), a guess from its size.
std::string estimate(std::string_view relation) {
  return fmt::format(
      "CASE WHEN {0}.reltuples < 0 THEN pg_relation_size({0}.oid) / "
      "current_setting('block_size')::bigint * {1} ELSE {0}.reltuples END",
      relation, kRowsPerPageGuess);
}

}  // namespace

bool is_integer_type(std::string_view base) {
  return base == "int2" || base == "int4" || base == "int8";
}

const Column* find_column(const std::vector<Column>& columns, std::string_view name) {
  for (const Column& column : columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

namespace {

// The table's columns in name order, with their types and how they hash.
std::vector<Column> read_columns(pqxx::read_transaction& transaction, const std::string& name) {
  const pqxx::result columns = transaction.exec(fmt::format(
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod), bt.typname, bt.typcategory, "
      "bt.typnamespace = 'pg_catalog'::regnamespace AND bt.typname IN ({1}), "
      "a.attcollation <> 0 "
      "FROM pg_catalog.pg_attribute a "
      "JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid "
      "JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype "
      "ELSE ty.oid END "
      "LEFT JOIN pg_catalog.pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A' "
      "WHERE a.attrelid = {0}::regclass AND a.attnum > 0 AND NOT a.attisdropped "
      "ORDER BY a.attname COLLATE \"C\"",
      name, kNativeTypes));
  std::vector<Column> result;
  for (const auto& row : columns) {
    result.push_back({.name = row[0].as<std::string>(),
                      .type = row[1].as<std::string>(),
                      .base = row[2].as<std::string>(),
                      .category = row[3].as<std::string>().front(),
                      .hashable = row[4].as<bool>(),
                      .collatable = row[5].as<bool>()});
  }
  return result;
}

// The primary key, else the unique key of fewest columns that are all NOT NULL, with no
// expression or predicate; empty when there is none.
std::vector<std::string> read_key(pqxx::read_transaction& transaction, const std::string& name) {
  const pqxx::result key = transaction.exec(fmt::format(
      "SELECT array_to_string(ARRAY(SELECT a.attname FROM unnest(i.indkey[0:i.indnkeyatts - 1]) "
      "WITH ORDINALITY k(n, o) JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid "
      "AND a.attnum = k.n ORDER BY k.o), E'\\n') "
      "FROM pg_catalog.pg_index i WHERE i.indrelid = {0}::regclass AND i.indisunique "
      "AND i.indisvalid AND i.indisready AND i.indimmediate "
      "AND i.indpred IS NULL AND i.indexprs IS NULL AND NOT EXISTS (SELECT 1 FROM "
      "unnest(i.indkey[0:i.indnkeyatts - 1]) k(n) JOIN pg_catalog.pg_attribute a ON "
      "a.attrelid = i.indrelid AND a.attnum = k.n WHERE NOT a.attnotnull) "
      "ORDER BY i.indisprimary DESC, i.indnkeyatts, i.indexrelid LIMIT 1",
      name));
  std::vector<std::string> result;
  if (key.empty()) return result;
  std::string names = key[0][0].as<std::string>();
  std::size_t start = 0;
  while (start <= names.size()) {
    const std::size_t end = std::min(names.find('\n', start), names.size());
    result.push_back(names.substr(start, end - start));
    start = end + 1;
  }
  return result;
}

// The estimated rows and the pages of the table (of its largest partition when partitioned).
void read_size(pqxx::read_transaction& transaction, const std::string& name, TableInfo& info) {
  // pg_partition_tree lists nothing for a table that is not partitioned.
  const pqxx::row size = transaction.exec1(
      fmt::format("SELECT CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum({1}), 0) "
                  "FROM pg_partition_tree(c.oid) t JOIN pg_catalog.pg_class l ON l.oid = t.relid "
                  "WHERE t.isleaf) ELSE {2} END, CASE WHEN c.relkind = 'p' THEN (SELECT "
                  "coalesce(max(pg_relation_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t "
                  "WHERE t.isleaf) ELSE pg_relation_size(c.oid) END "
                  "/ current_setting('block_size')::bigint "
                  "FROM pg_catalog.pg_class c WHERE c.oid = {0}::regclass",
                  name, estimate("l"), estimate("c")));
  info.estimated_rows = size[0].as<double>();
  info.pages = size[1].as<std::int64_t>();
}

// A sample of the first key column for segment bounds, in "C" order as width_bucket will
// compare them. SYSTEM sampling picks whole pages: too few values, and it samples more.
std::vector<std::string> read_sample(pqxx::read_transaction& transaction, const Table& table,
                                     const Column* first, const std::string& key_sql,
                                     const std::string& where, double rows, double wanted) {
  std::vector<std::string> sample;
  const std::string collate = first && first->collatable ? " COLLATE \"C\"" : "";
  for (double percent = std::max(0.001, 100.0 * wanted / rows);; percent *= 10) {
    percent = std::min(percent, 100.0);
    const pqxx::result result = transaction.exec(fmt::format(
        "SELECT DISTINCT {0}{1} AS k FROM {2} TABLESAMPLE SYSTEM ({3}) WHERE {0} IS NOT NULL "
        "AND ({4}) ORDER BY 1",
        key_sql, collate, table.sql(), percent, where));
    sample.clear();
    for (const auto& row : result)
      sample.push_back(row[0].as<std::string>());
    if (static_cast<double>(sample.size()) * 2 >= wanted || percent >= 100.0) break;
  }
  return sample;
}

}  // namespace

TableInfo describe_table(Session& session, const Table& table, const std::string& where,
                         std::int64_t segment_rows) {
  pqxx::read_transaction transaction(session.connection());
  TableInfo info;
  const std::string name = quote_literal(table.sql());
  const pqxx::result exists = transaction.exec(
      "SELECT to_regclass(" + name + ") IS NOT NULL, current_setting('server_version_num')::int");
  info.server_version = exists[0][1].as<int>();
  if (!exists[0][0].as<bool>()) return info;
  info.exists = true;
  info.columns = read_columns(transaction, name);
  info.key = read_key(transaction, name);
  read_size(transaction, name, info);

  if (info.key.empty()) return info;
  const Column* first = find_column(info.columns, info.key.front());
  const std::string key_sql = quote_identifier(info.key.front());
  if (info.key.size() == 1 && first && is_integer_type(first->base)) {
    const pqxx::row range =
        transaction.exec1(fmt::format("SELECT min({0}), max({0}) FROM {1}", key_sql, table.sql()));
    if (!range[0].is_null()) {
      info.min_key = range[0].as<std::int64_t>();
      info.max_key = range[1].as<std::int64_t>();
    }
    return info;
  }
  const double rows = info.estimated_rows;
  if (rows <= static_cast<double>(segment_rows)) return info;
  const double wanted = kSamplePerSegment * rows / static_cast<double>(segment_rows);
  info.sample = read_sample(transaction, table, first, key_sql, where, rows, wanted);
  return info;
}

void build_expressions(TablePlan& plan, const std::vector<Column>& source,
                       const std::vector<Column>& target, Mode mode,
                       const Normalisation& normalisation) {
  std::vector<std::string> parts;  // native: hashed elements; canonical: encoded texts
  plan.column_hashes.clear();
  for (const std::string& name : plan.columns) {
    const Column& left = *find_column(source, name);
    const Column* right = find_column(target, name);
    const bool same = right && right->base == left.base;
    const bool as_text = mode == Mode::canonical || !same || !left.hashable;
    const std::string value =
        normalised(quote_identifier(name), left, normalisation, as_text, mode);
    if (mode == Mode::canonical) {
      parts.push_back(fmt::format(
          "CASE WHEN ({0}) IS NULL THEN 'N' ELSE 'V' || length({0}) || ':' || ({0}) END", value));
      plan.column_hashes.push_back(fmt::format("md5({})", value));
      continue;
    }
    std::vector<std::string> elements{value};
    if (!as_text && left.base == "int8") {
      // int8's hash folds the halves together (1 and 4294967296 hash alike): add the high half.
      elements.push_back(fmt::format("{} >> 32", value));
    } else if (!as_text &&
               (left.base == "timestamp" || left.base == "timestamptz" || left.base == "time")) {
      // Stored as 64-bit integers and hashed like int8: hashed through their binary form.
      elements = {fmt::format("{}_send({})", left.base, value)};
    } else if (!as_text && left.base == "numeric") {
      // numeric's hash is the same for NaN, Infinity and -Infinity, the only values without a
      // scale: those are added as text.
      elements.push_back(fmt::format(
          "CASE WHEN scale({0}) IS NULL AND {0} IS NOT NULL THEN {0}::text END", value));
    }
    plan.column_hashes.push_back(
        fmt::format("hash_record_extended(ROW({}), {})::text", fmt::join(elements, ", "), kSeed));
    parts.insert(parts.end(), elements.begin(), elements.end());
  }
  if (plan.columns.empty()) {
    // A table without columns: its rows can only be counted.
    plan.row_hash = "0::bigint";
    return;
  }
  if (mode == Mode::canonical) {
    plan.row_hash = md5_bigint(fmt::format("{}", fmt::join(parts, " || ")));
    return;
  }
  plan.row_hash = fmt::format("hash_record_extended(ROW({}), {})", fmt::join(parts, ", "), kSeed);
}

std::string bucket_sql(const TablePlan& plan, bool target_side) {
  switch (plan.bucketing) {
    case Bucketing::integer:
      if (plan.offset == 0)
        return fmt::format("({}::bigint / {})", quote_identifier(plan.key.front()), plan.width);
      return fmt::format("(({}::bigint - {}) / {})", quote_identifier(plan.key.front()),
                         plan.offset, plan.width);
    case Bucketing::ordered: {
      if (plan.bounds.empty()) return "0";
      std::vector<std::string> literals;
      literals.reserve(plan.bounds.size());
      for (const std::string& bound : plan.bounds)
        literals.push_back(quote_literal(bound));
      return fmt::format("width_bucket({}{}, ARRAY[{}]::{}[])", quote_identifier(plan.key.front()),
                         plan.key_collatable ? " COLLATE \"C\"" : "", fmt::join(literals, ","),
                         target_side ? plan.key_type_target : plan.key_type_source);
    }
    case Bucketing::hashed:
      if (plan.hash_bits == 0) return "0";
      return fmt::format("(cutover_h >> {})", 64 - plan.hash_bits);
  }
  return "0";
}

// Each row's contribution to a segment's sum: its hash mixed again. hash_record_extended is a
// linear combination of its columns' hashes, and some of those are linear in the seed or
// constant (NULL, numeric 0, float 0), so a plain sum would not see values swapped between two
// rows; hashint8extended seeded with the whole 64-bit hash is not linear.
constexpr std::string_view kMixed = "hashint8extended(cutover_h, cutover_h)";

std::string scan_sql(const TablePlan& plan, bool target_side, const std::string& chunk,
                     const std::string& segments) {
  // The row hash once per row (OFFSET 0 keeps the subquery from being merged, which would
  // compute it twice), then its segment and its mix from it.
  if (plan.bucketing == Bucketing::hashed) {
    return fmt::format(
        "SELECT {0} AS b, count(*), sum({1})::text FROM (SELECT {2} AS cutover_h FROM {3} "
        "WHERE ({4}) AND {5} OFFSET 0) s WHERE {6} GROUP BY 1",
        bucket_sql(plan, target_side), kMixed, plan.row_hash, plan.table, plan.where, chunk,
        segments);
  }
  return fmt::format(
      "SELECT b, count(*), sum({0})::text FROM (SELECT {1} AS b, {2} AS cutover_h FROM {3} "
      "WHERE ({4}) AND {5} AND {6} OFFSET 0) s GROUP BY 1",
      kMixed, bucket_sql(plan, target_side), plan.row_hash, plan.table, plan.where, chunk,
      segments);
}

std::string refine_sql(const TablePlan& plan, std::int64_t low, std::int64_t high,
                       std::int64_t width) {
  return fmt::format(
      "SELECT b, count(*), sum({0})::text FROM (SELECT div({1}::numeric - {2}, {3})::int AS b, "
      "{4} AS cutover_h FROM {5} WHERE ({6}) AND {7} OFFSET 0) s GROUP BY 1",
      kMixed, quote_identifier(plan.key.front()), low, width, plan.row_hash, plan.table, plan.where,
      range_condition(plan, low, high));
}

std::string rows_sql(const TablePlan& plan, const std::string& condition) {
  std::vector<std::string> keys;
  for (const std::string& key : plan.key)
    keys.push_back(quote_identifier(key) + "::text");
  return fmt::format("SELECT {}, ({})::text, {} FROM {} WHERE ({}) AND {}", fmt::join(keys, ", "),
                     plan.row_hash, fmt::join(plan.column_hashes, ", "), plan.table, plan.where,
                     condition);
}

std::string hash_counts_sql(const TablePlan& plan, bool target_side,
                            const std::vector<std::int64_t>& buckets) {
  return fmt::format(
      "SELECT cutover_h::text, count(*) FROM (SELECT {0} AS cutover_h FROM {1} WHERE ({2}) "
      "OFFSET 0) s WHERE {3} = ANY('{{{4}}}'::bigint[]) GROUP BY 1",
      plan.row_hash, plan.table, plan.where, bucket_sql(plan, target_side),
      fmt::join(buckets, ","));
}

std::string segment_condition(const TablePlan& plan, bool target_side,
                              const std::vector<std::int64_t>& buckets) {
  return fmt::format("{} = ANY('{{{}}}'::bigint[])", bucket_sql(plan, target_side),
                     fmt::join(buckets, ","));
}

std::string range_condition(const TablePlan& plan, std::int64_t first, std::int64_t last) {
  return fmt::format("{0} >= {1} AND {0} <= {2}", quote_identifier(plan.key.front()), first, last);
}

}  // namespace cutover::postgres::checksum
