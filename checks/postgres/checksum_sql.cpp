#include "checks/postgres/checksum_sql.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pqxx/result>
#include <pqxx/transaction>

namespace cutover::postgres::checksum {

namespace {

using Int128 = __int128;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

std::int64_t clamp64(Int128 value) {
  if (value > kInt64Max) return kInt64Max;
  if (value < kInt64Min) return kInt64Min;
  return static_cast<std::int64_t>(value);
}

bool is_integer_type(const std::string& base) {
  return base == "int2" || base == "int4" || base == "int8";
}

bool is_float(const std::string& base) {
  return base == "float4" || base == "float8";
}

bool is_time(const std::string& base) {
  return base == "timestamp" || base == "timestamptz" || base == "time" || base == "timetz";
}

// The value of a column made comparable: rounded and trimmed as asked. `as_text`: the result is
// text (canonical mode, or a column hashed as text).
std::string normalised(const std::string& column, const Column& type, const Normalisation& norm,
                       bool as_text, Mode mode) {
  if (is_float(type.base) && norm.float_digits) {
    const int digits = *norm.float_digits;
    const std::string format = digits > 1 ? "9." + std::string(digits - 1, '9') + "EEEE" : "9EEEE";
    return fmt::format(
        "CASE WHEN {0} IS NULL THEN NULL WHEN {0} = 0 THEN '0' "
        "WHEN {0} IN ('NaN', 'Infinity', '-Infinity') THEN {0}::text "
        "ELSE ltrim(to_char({0}, '{1}')) END",
        column, format);
  }
  if (is_time(type.base) && norm.timestamp_precision) {
    const std::string rounded =
        fmt::format("{}::{}({})", column, type.base, *norm.timestamp_precision);
    return as_text ? rounded + "::text" : rounded;
  }
  if (type.base == "bpchar" && !norm.trim_char) {
    return fmt::format("({0}::text || repeat(' ', octet_length({0}) - octet_length({0}::text)))",
                       column);
  }
  if (mode == Mode::canonical && type.base == "numeric")
    return fmt::format("trim_scale({})::text", column);
  if (as_text) return column + "::text";
  if (type.collatable && type.category != 'A') return column + " COLLATE \"C\"";
  return column;
}

std::string md5_bigint(const std::string& text) {
  return fmt::format("('x' || substr(md5({}), 1, 16))::bit(64)::bigint", text);
}

const Column* find(const std::vector<Column>& columns, const std::string& name) {
  for (const Column& column : columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
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

  const pqxx::result columns = transaction.exec(fmt::format(
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod), bt.typname, bt.typcategory, "
      "bt.typtype = 'b' AND bt.typname <> 'interval' "
      "AND (bt.typcategory <> 'A' OR (et.typtype = 'b' AND et.typname <> 'interval')) "
      "AND EXISTS (SELECT 1 FROM pg_catalog.pg_opclass oc "
      "  JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod "
      "  JOIN pg_catalog.pg_amproc p ON p.amprocfamily = oc.opcfamily AND p.amprocnum = 2 "
      "  WHERE am.amname = 'hash' AND oc.opcdefault "
      "  AND oc.opcintype = CASE WHEN bt.typcategory = 'A' THEN et.oid ELSE bt.oid END), "
      "a.attcollation <> 0 "
      "FROM pg_catalog.pg_attribute a "
      "JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid "
      "JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype "
      "ELSE ty.oid END "
      "LEFT JOIN pg_catalog.pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A' "
      "WHERE a.attrelid = {0}::regclass AND a.attnum > 0 AND NOT a.attisdropped "
      "ORDER BY a.attname COLLATE \"C\"",
      name));
  for (const auto& row : columns) {
    info.columns.push_back({.name = row[0].as<std::string>(),
                            .type = row[1].as<std::string>(),
                            .base = row[2].as<std::string>(),
                            .category = row[3].as<std::string>().front(),
                            .hashable = row[4].as<bool>(),
                            .collatable = row[5].as<bool>()});
  }

  // The primary key, else the unique key of fewest columns that are all NOT NULL, with no
  // expression or predicate.
  const pqxx::result key = transaction.exec(fmt::format(
      "SELECT array_to_string(ARRAY(SELECT a.attname FROM unnest(i.indkey[0:i.indnkeyatts - 1]) "
      "WITH ORDINALITY k(n, o) JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid "
      "AND a.attnum = k.n ORDER BY k.o), E'\\n') "
      "FROM pg_catalog.pg_index i WHERE i.indrelid = {0}::regclass AND i.indisunique "
      "AND i.indpred IS NULL AND i.indexprs IS NULL AND NOT EXISTS (SELECT 1 FROM "
      "unnest(i.indkey[0:i.indnkeyatts - 1]) k(n) JOIN pg_catalog.pg_attribute a ON "
      "a.attrelid = i.indrelid AND a.attnum = k.n WHERE NOT a.attnotnull) "
      "ORDER BY i.indisprimary DESC, i.indnkeyatts, i.indexrelid LIMIT 1",
      name));
  if (!key.empty()) {
    std::string names = key[0][0].as<std::string>();
    std::size_t start = 0;
    while (start <= names.size()) {
      const std::size_t end = std::min(names.find('\n', start), names.size());
      info.key.push_back(names.substr(start, end - start));
      start = end + 1;
    }
  }

  // pg_partition_tree lists nothing for a table that is not partitioned.
  const pqxx::row size = transaction.exec1(
      fmt::format("SELECT c.relkind = 'p', CASE WHEN c.relkind = 'p' THEN (SELECT "
                  "coalesce(sum(greatest(l.reltuples, 0)), 0) FROM pg_partition_tree(c.oid) t "
                  "JOIN pg_catalog.pg_class l ON l.oid = t.relid WHERE t.isleaf) "
                  "ELSE greatest(c.reltuples, 0) END, CASE WHEN c.relkind = 'p' THEN (SELECT "
                  "coalesce(max(pg_relation_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t "
                  "WHERE t.isleaf) ELSE pg_relation_size(c.oid) END "
                  "/ current_setting('block_size')::bigint "
                  "FROM pg_catalog.pg_class c WHERE c.oid = {0}::regclass",
                  name));
  info.partitioned = size[0].as<bool>();
  info.estimated_rows = size[1].as<double>();
  info.pages = size[2].as<std::int64_t>();

  if (info.key.empty()) return info;
  const Column* first = find(info.columns, info.key.front());
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
  // A sample of the first key column for segment bounds, in "C" order as width_bucket will
  // compare them. SYSTEM sampling picks whole pages: too few values, and it samples more.
  const double rows = info.estimated_rows;
  if (rows <= static_cast<double>(segment_rows)) return info;
  const double wanted = kSamplePerSegment * rows / static_cast<double>(segment_rows);
  const std::string collate = first && first->collatable ? " COLLATE \"C\"" : "";
  for (double percent = std::max(0.001, 100.0 * wanted / rows);; percent *= 10) {
    percent = std::min(percent, 100.0);
    const pqxx::result sample = transaction.exec(fmt::format(
        "SELECT DISTINCT {0}{1} AS k FROM {2} TABLESAMPLE SYSTEM ({3}) WHERE {0} IS NOT NULL "
        "AND ({4}) ORDER BY 1",
        key_sql, collate, table.sql(), percent, where));
    info.sample.clear();
    for (const auto& row : sample)
      info.sample.push_back(row[0].as<std::string>());
    if (static_cast<double>(info.sample.size()) * 2 >= wanted || percent >= 100.0) break;
  }
  return info;
}

void build_expressions(TablePlan& plan, const std::vector<Column>& source,
                       const std::vector<Column>& target, Mode mode,
                       const Normalisation& normalisation) {
  std::vector<std::string> parts;
  std::vector<std::string> key_parts;
  plan.column_hashes.clear();
  for (const std::string& name : plan.columns) {
    const Column& left = *find(source, name);
    const Column* right = find(target, name);
    const bool same = right && right->base == left.base;
    const bool as_text = mode == Mode::canonical || !same || !left.hashable;
    const std::string value =
        normalised(quote_identifier(name), left, normalisation, as_text, mode);
    if (mode == Mode::canonical) {
      parts.push_back(fmt::format(
          "CASE WHEN ({0}) IS NULL THEN 'N' ELSE 'V' || length({0}) || ':' || ({0}) END", value));
      plan.column_hashes.push_back(fmt::format("md5({})", value));
    } else {
      parts.push_back(value);
      plan.column_hashes.push_back(fmt::format("hash_record_extended(ROW({}), 0)::text", value));
    }
    if (std::find(plan.key.begin(), plan.key.end(), name) != plan.key.end())
      key_parts.push_back(value);
  }
  if (mode == Mode::canonical) {
    plan.row_hash = md5_bigint(fmt::format("{}", fmt::join(parts, " || ")));
    return;
  }
  const std::string row = fmt::format("ROW({})", fmt::join(parts, ", "));
  // A sum of hash_record_extended alone is linear in the column hashes: values swapped between
  // two rows would leave it unchanged. Seeding each row with its key (an integer key as it is,
  // another key's hash; without a key, a second hash of the row) makes every value's hash
  // depend on its row.
  const Column* key = plan.key.size() == 1 ? find(source, plan.key.front()) : nullptr;
  const Column* target_key = plan.key.size() == 1 ? find(target, plan.key.front()) : nullptr;
  std::string seed;
  if (key_parts.empty()) {
    seed = fmt::format("hash_record_extended({}, 1)", row);
  } else if (key && target_key && is_integer_type(key->base) &&
             is_integer_type(target_key->base)) {
    seed = quote_identifier(key->name) + "::bigint";
  } else {
    seed = fmt::format("hash_record_extended(ROW({}), 0)", fmt::join(key_parts, ", "));
  }
  plan.row_hash = fmt::format("hash_record_extended({}, {})", row, seed);
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
      return fmt::format("(h >> {})", 64 - plan.hash_bits);
  }
  return "0";
}

std::string scan_sql(const TablePlan& plan, bool target_side, const std::string& chunk) {
  if (plan.bucketing == Bucketing::hashed) {
    // The row hash once per row, then its segment from it.
    return fmt::format(
        "SELECT {0} AS b, count(*), sum(h)::text FROM (SELECT {1} AS h FROM {2} "
        "WHERE ({3}) AND {4} OFFSET 0) s GROUP BY 1",
        bucket_sql(plan, target_side), plan.row_hash, plan.table, plan.where, chunk);
  }
  return fmt::format(
      "SELECT {0} AS b, count(*), sum({1})::text FROM {2} WHERE ({3}) AND {4} GROUP BY 1",
      bucket_sql(plan, target_side), plan.row_hash, plan.table, plan.where, chunk);
}

std::string refine_sql(const TablePlan& plan, std::int64_t low, std::int64_t high,
                       std::int64_t width) {
  return fmt::format(
      "SELECT div({0}::numeric - {1}, {2})::int AS b, count(*), sum({3})::text FROM {4} "
      "WHERE ({5}) AND {6} GROUP BY 1",
      quote_identifier(plan.key.front()), low, width, plan.row_hash, plan.table, plan.where,
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
      "SELECT h::text, count(*) FROM (SELECT {0} AS h FROM {1} WHERE ({2}) OFFSET 0) s "
      "WHERE {3} = ANY('{{{4}}}'::bigint[]) GROUP BY h",
      plan.row_hash, plan.table, plan.where, bucket_sql(plan, target_side),
      fmt::join(buckets, ","));
}

std::pair<std::int64_t, std::int64_t> integer_segment(const TablePlan& plan, std::int64_t bucket) {
  // Truncating division: bucket 0 holds offset-(width-1) .. offset+width-1.
  const Int128 width = plan.width;
  const Int128 start = static_cast<Int128>(bucket) * width + plan.offset;
  if (bucket > 0) return {clamp64(start), clamp64(start + width - 1)};
  if (bucket < 0) return {clamp64(start - width + 1), clamp64(start)};
  return {clamp64(start - width + 1), clamp64(start + width - 1)};
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
