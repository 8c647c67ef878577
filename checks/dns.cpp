#include "checks/dns.hpp"

#include <ares.h>
#include <arpa/nameser.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/compile.h>
#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <nlohmann/json.hpp>

#include "checks/net/dns_answer.hpp"
#include "checks/net/dns_client.hpp"
#include "checks/net/dns_message.hpp"
#include "checks/net/dns_server_query.hpp"
#include "checks/net/session.hpp"
#include "harness/duration.hpp"

namespace cutover {

namespace beast = boost::beast;
namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

namespace detail {

struct DnsTarget {
  std::string query;  // canonical; for PTR given an address, its reverse name
  int type = ns_t_a;
  std::string type_text = "A";
  std::vector<dns::ServerAddress> servers;  // empty: the system's configuration
  std::vector<std::string> labels;          // one per server, or the system's
  bool tcp = false;
  int tries = 2;

  std::optional<std::set<std::string>> expect;  // canonical data
  std::vector<std::string> expect_contains;
  std::vector<std::string> expect_not_contains;
  std::optional<std::string> expect_cname;
  bool nxdomain = false;  // the name must not exist
  std::optional<Duration> max_ttl;
  std::optional<std::int64_t> min_answers;
  bool agree = false;

  // At least this many answers: min_answers, or one when nothing else says how many there may be.
  std::int64_t required_answers = 1;
  std::string label;  // "A app.example.test @127.0.0.1:5300", for the cancellation message
};

}  // namespace detail

namespace {

using detail::DnsTarget;
using dns::append_display;
using dns::append_joined;
using dns::display;
using dns::join_display;

constexpr std::int64_t kDefaultTries = 2;
constexpr std::int64_t kMaxTries = 10;
constexpr std::int64_t kMaxMinAnswers = 65535;
constexpr std::size_t kDetailsTextLimit = 4096;
constexpr std::string_view kSystemLabel = "system resolver";

constexpr std::string_view kServerForm =
    "ADDRESS or ADDRESS:PORT (an IPv6 address in brackets: [::1]:5353)";

// Milliseconds with one decimal; two below 1ms, where loopback latencies would all read "0.0ms".
void append_latency(std::string& out, Duration latency) {
  const double milliseconds = to_milliseconds(latency);
  if (milliseconds < 1) {
    fmt::format_to(std::back_inserter(out), FMT_COMPILE("{:.2f}ms"), milliseconds);
  } else {
    fmt::format_to(std::back_inserter(out), FMT_COMPILE("{:.1f}ms"), milliseconds);
  }
}

// One server's part of an attempt.
struct ServerAnswer : dns::AnswerReading {
  std::string label{};
  std::shared_ptr<dns::PendingQuery> pending{};
  bool done = false;
  std::optional<std::string> error{};  // could not be asked, or its answer could not be used
  std::optional<Duration> latency{};
  dns::Message message{};

  const dns::ResourceRecord& record(std::size_t position) const {
    return message.answers[position];
  }
};

// "[10.0.0.1, 10.0.0.2]", or "no A records".
void append_answers(std::string& out, const DnsTarget& target,
                    const std::set<std::string>& answers) {
  if (answers.empty()) {
    out += "no ";
    out += target.type_text;
    out += " records";
    return;
  }
  out += '[';
  append_joined(out, target.type, answers, ", ");
  out += ']';
}

std::string answers_text(const DnsTarget& target, const std::set<std::string>& answers) {
  std::string out;
  append_answers(out, target, answers);
  return out;
}

std::string chain_text(const DnsTarget& target, const ServerAnswer& server) {
  std::string text = target.query;
  for (const std::string& name : server.chain)
    text += " -> " + name;
  return text;
}

// What did not hold for one server that answered NOERROR or NXDOMAIN, in the order of the
// fields.
std::vector<std::string> assertion_failures(const DnsTarget& target, const ServerAnswer& server) {
  std::vector<std::string> failures;
  const auto got = [&] { return answers_text(target, server.answers); };
  if (server.message.rcode == ns_r_nxdomain) {
    if (target.nxdomain && !server.chain.empty()) {
      // A dangling CNAME: the NXDOMAIN is for the chain's end, the queried name exists.
      failures.push_back(fmt::format("{} exists (CNAME to {}; the NXDOMAIN is for {})",
                                     target.query, fmt::join(server.chain, " -> "),
                                     server.chain.back()));
    } else if (!target.nxdomain) {
      const std::string& name = server.chain.empty() ? target.query : server.chain.back();
      failures.push_back(fmt::format("{} does not exist (NXDOMAIN)", name));
    }
    return failures;
  }
  if (target.nxdomain) {
    failures.push_back(fmt::format("expected NXDOMAIN, got NOERROR with {}", got()));
    return failures;
  }
  if (target.expect && server.answers != *target.expect) {
    failures.push_back(
        fmt::format("expected {}, got {}", answers_text(target, *target.expect), got()));
  }
  std::vector<std::string> missing;
  for (const std::string& value : target.expect_contains) {
    if (!server.answers.contains(value)) missing.push_back(value);
  }
  if (!missing.empty()) {
    failures.push_back(fmt::format("expected the answers to include {}, got {}",
                                   join_display(target.type, missing, ", "), got()));
  }
  std::vector<std::string> present;
  for (const std::string& value : target.expect_not_contains) {
    if (server.answers.contains(value)) present.push_back(value);
  }
  if (!present.empty()) {
    failures.push_back(fmt::format("expected the answers not to include {}, got {}",
                                   join_display(target.type, present, ", "), got()));
  }
  if (target.expect_cname && std::find(server.chain.begin(), server.chain.end(),
                                       *target.expect_cname) == server.chain.end()) {
    failures.push_back(
        fmt::format("expected a CNAME chain through {}, got {}", *target.expect_cname,
                    server.chain.empty() ? std::string("no CNAME") : chain_text(target, server)));
  }
  const auto count = static_cast<std::int64_t>(server.answers.size());
  if (count < target.required_answers) {
    failures.push_back(
        fmt::format("expected at least {} {} record{}, got {}", target.required_answers,
                    target.type_text, target.required_answers == 1 ? "" : "s",
                    count == 0 ? std::string("none") : fmt::format("{}: {}", count, got())));
  }
  if (target.max_ttl) {
    std::vector<std::string> over;
    for (const std::size_t position : server.used) {
      const dns::ResourceRecord& record = server.record(position);
      if (std::chrono::seconds(record.ttl) > *target.max_ttl) {
        over.push_back(fmt::format("{}s on {} {} {}", record.ttl, record.name,
                                   dns::type_name(record.type), display(record.type, record.data)));
      }
    }
    if (!over.empty()) {
      failures.push_back(fmt::format("expected TTLs of at most {}, got {}",
                                     format_duration(*target.max_ttl), fmt::join(over, ", ")));
    }
  }
  return failures;
}

// One attempt: every server asked at once, each answer checked when all are in.
class DnsSession : public detail::CheckSession<DnsSession> {
 public:
  DnsSession(net::io_context& io, std::shared_ptr<const DnsTarget> target, Completion done,
             OwnBudget budget)
      : CheckSession(io, std::move(done), target->label, budget), target_(std::move(target)) {
    servers_.reserve(target_->labels.size());
    for (const std::string& label : target_->labels)
      servers_.emplace_back().label = label;
  }

  void run(Cancellation& cancellation) {
    if (!watch(cancellation)) return;  // cancelled before it began

    dns::ResolverSettings settings;
    settings.tcp = target_->tcp;
    settings.tries = target_->tries;
    // c-ares doubles the timeout after each round, so tries T, 2T, 4T ... all fit in the budget
    // when T * (2^tries - 1) <= budget.
    const auto rounds = (std::int64_t{1} << target_->tries) - 1;
    settings.try_timeout =
        std::max(std::chrono::milliseconds(1),
                 std::chrono::floor<std::chrono::milliseconds>(budget_ / rounds));
    // The attempt ends at its own budget even when a query waits in the channel's queue, or
    // c-ares's tries overrun it: the query's deadline answers "no answer" then.
    for (std::size_t i = 0; i < servers_.size(); ++i) {
      settings.servers.clear();
      if (!target_->servers.empty()) settings.servers.push_back(target_->servers[i]);
      servers_[i].pending = dns::async_server_query(
          io_, settings, target_->query, target_->type,
          beast::bind_front_handler(&DnsSession::on_answer, shared_from_this(), i), budget_end_);
    }
  }

 private:
  void on_answer(std::size_t index, dns::ServerQueryResult answer) {
    if (stopped()) return;
    ServerAnswer& server = servers_[index];
    server.done = true;
    server.pending.reset();
    const dns::QueryResult& result = answer.result;
    if (result.error) {
      server.error = dns::describe_server_error(answer, no_answer());
    } else {
      server.latency = result.latency + answer.truncated_udp.value_or(Duration{});
      auto message = dns::parse_message(result.message);
      if (!message) {
        server.error = "malformed answer: " + message.error().message;
      } else {
        server.message = std::move(message).value();
        const int rcode = server.message.rcode;
        if (server.message.truncated) {
          server.error = "the answer is truncated (TC set), even over TCP";
        } else if (rcode != ns_r_noerror && rcode != ns_r_nxdomain) {
          server.error = "answered " + dns::rcode_name(rcode);
        } else if (auto problem =
                       dns::question_problem(server.message, target_->query, target_->type)) {
          server.error = std::move(problem);
        } else {
          server.error = dns::read_answers(server.message, target_->query, target_->type, server);
          if (!server.error) {
            server.error =
                dns::unproven_empty_answer(server.message, target_->query, target_->type, server);
          }
        }
      }
    }
    if (std::all_of(servers_.begin(), servers_.end(), [](const auto& s) { return s.done; })) {
      conclude();
    }
  }

  std::string no_answer() const {
    return fmt::format("no answer within {}", format_duration(budget_));
  }

  void conclude() {
    std::vector<std::string> errors;
    std::vector<std::string> failures;
    for (const ServerAnswer& server : servers_) {
      if (server.error) {
        errors.push_back(fmt::format("{}: {}", server.label, *server.error));
        continue;
      }
      for (const std::string& failure : assertion_failures(*target_, server))
        failures.push_back(fmt::format("{}: {}", server.label, failure));
    }
    if (target_->agree) {
      if (auto disagreement = compare_servers()) failures.push_back(std::move(*disagreement));
    }

    CheckResult result;
    if (!errors.empty()) {
      errors.insert(errors.end(), failures.begin(), failures.end());
      result = CheckResult::error(fmt::format("{}", fmt::join(errors, "; ")));
    } else if (!failures.empty()) {
      result = CheckResult::failed(fmt::format("{}", fmt::join(failures, "; ")));
    } else {
      result = CheckResult::passed(pass_message());
    }
    result.details = details();
    result.measurements = measurements();
    finish(std::move(result));
  }

  // What a server found, as compared between servers and shown: "NXDOMAIN" or the answer set,
  // and the CNAME chain that led there: "[10.0.0.1] via CNAME edge.example.test".
  std::string found_text(const ServerAnswer& server) const {
    std::string found;
    append_found(found, server);
    return found;
  }

  void append_found(std::string& out, const ServerAnswer& server) const {
    if (server.message.rcode == ns_r_nxdomain) {
      out += "NXDOMAIN";
    } else {
      append_answers(out, *target_, server.answers);
    }
    if (!server.chain.empty() && target_->type != ns_t_cname) {
      out += " via CNAME ";
      for (std::size_t i = 0; i < server.chain.size(); ++i) {
        if (i > 0) out += " -> ";
        out += server.chain[i];
      }
    }
  }

  // The servers that answered, when they did not all find the same; those that could not be
  // asked are errors already.
  std::optional<std::string> compare_servers() const {
    std::vector<const ServerAnswer*> answered;
    for (const ServerAnswer& server : servers_) {
      if (!server.error) answered.push_back(&server);
    }
    const auto same = [&](const ServerAnswer* server) {
      return server->message.rcode == answered.front()->message.rcode &&
             server->chain == answered.front()->chain &&
             server->answers == answered.front()->answers;
    };
    if (answered.size() < 2 || std::all_of(answered.begin(), answered.end(), same)) {
      return std::nullopt;
    }
    std::vector<std::string> each;
    for (const ServerAnswer* server : answered)
      each.push_back(fmt::format("{} {}", server->label, found_text(*server)));
    return fmt::format("servers disagree: {}", fmt::join(each, "; "));
  }

  // "A app.example.test from 127.0.0.1:5300, 127.0.0.1:5301: [10.0.0.1]", one group per
  // distinct finding.
  std::string pass_message() const {
    if (servers_.size() == 1) {
      // One group: written straight away, as the general case below would write it.
      std::string out;
      out.reserve(64 + target_->query.size() + servers_.front().label.size());
      out += target_->type_text;
      out += ' ';
      out += target_->query;
      out += " from ";
      out += servers_.front().label;
      out += ": ";
      append_found(out, servers_.front());
      return out;
    }
    std::vector<std::pair<std::string, std::vector<std::string>>> groups;
    for (const ServerAnswer& server : servers_) {
      std::string found = found_text(server);
      auto group = std::find_if(groups.begin(), groups.end(),
                                [&](const auto& candidate) { return candidate.first == found; });
      if (group == groups.end()) {
        groups.push_back({std::move(found), {server.label}});
      } else {
        group->second.push_back(server.label);
      }
    }
    std::vector<std::string> parts;
    for (const auto& [found, labels] : groups)
      parts.push_back(fmt::format("from {}: {}", fmt::join(labels, ", "), found));
    return fmt::format("{} {} {}", target_->type_text, target_->query, fmt::join(parts, "; "));
  }

  // Every server's whole answer section, with TTLs, in the order sent.
  std::string details() const {
    std::string out;
    std::size_t estimate = 0;  // one allocation in the common case, not one per doubling
    for (const ServerAnswer& server : servers_) {
      estimate += server.label.size() + 32;
      for (const dns::ResourceRecord& record : server.message.answers)
        estimate += record.name.size() + record.data.size() + 24;
    }
    out.reserve(estimate);
    for (const ServerAnswer& server : servers_) {
      out += server.label;
      out += ": ";
      if (server.error) {
        out += *server.error;
      } else {
        out += dns::rcode_name(server.message.rcode);
      }
      if (server.latency) {
        out += " in ";
        append_latency(out, *server.latency);
      }
      out += '\n';
      for (const dns::ResourceRecord& record : server.message.answers) {
        out += "  ";
        out += record.name;
        out += ' ';
        const fmt::format_int ttl(record.ttl);
        out.append(ttl.data(), ttl.size());
        out += ' ';
        out += dns::type_name(record.type);
        out += ' ';
        append_display(out, record.type, record.data, kDetailsTextLimit);
        out += '\n';
      }
    }
    return out;
  }

  std::vector<Measurement> measurements() const {
    std::vector<Measurement> out;
    out.reserve(2 + servers_.size());
    std::optional<std::size_t> fewest;
    std::optional<std::uint32_t> lowest_ttl;
    for (const ServerAnswer& server : servers_) {
      if (server.error) continue;
      fewest = std::min(fewest.value_or(server.answers.size()), server.answers.size());
      for (const std::size_t position : server.used) {
        const std::uint32_t ttl = server.record(position).ttl;
        lowest_ttl = std::min(lowest_ttl.value_or(ttl), ttl);
      }
    }
    if (fewest) out.push_back({"answers", static_cast<double>(*fewest), ""});
    if (lowest_ttl) out.push_back({"min_ttl_s", static_cast<double>(*lowest_ttl), "s"});
    for (const ServerAnswer& server : servers_) {
      if (!server.latency) continue;
      const std::string name =
          target_->servers.empty() ? "latency_ms" : "latency_ms@" + server.label;
      out.push_back({name, to_milliseconds(*server.latency), "ms"});
    }
    return out;
  }

  friend class detail::CheckSession<DnsSession>;

  void stop_work() {
    for (ServerAnswer& server : servers_) {
      if (server.pending) server.pending->cancel();
      server.pending.reset();
    }
  }

  std::shared_ptr<const DnsTarget> target_;
  std::vector<ServerAnswer> servers_;
};

// The user's values for a field, canonical for the type; mistakes go to the field.
std::vector<std::string> read_values(Fields& fields, std::string_view field,
                                     const DnsTarget& target) {
  std::vector<std::string> values;
  for (const std::string& text : fields.strings(field)) {
    auto value = dns::canonical_data(target.type, text);
    if (!value) {
      fields.error(field,
                   fmt::format("{}: {} (type {})", field, value.error().message, target.type_text));
      continue;
    }
    if (std::find(values.begin(), values.end(), value.value()) == values.end()) {
      values.push_back(std::move(value).value());
    }
  }
  return values;
}

// query: a domain name, or with type PTR an address, looked up in reverse.
void read_query(Fields& fields, DnsTarget& target) {
  const std::string query = fields.string("query");
  if (const auto reverse = dns::reverse_name(query)) {
    if (target.type == ns_t_ptr) {
      target.query = *reverse;
    } else {
      fields.error("query", fmt::format("query: \"{}\" is an IP address; type PTR looks one up "
                                        "in reverse, type {} needs a name",
                                        query, target.type_text));
    }
  } else if (const auto problem = dns::name_problem(query)) {
    fields.error("query", fmt::format("query: \"{}\" is not a domain name: {}", query, *problem));
  } else {
    target.query = dns::canonical_name(query);
  }
}

void read_servers(Fields& fields, DnsTarget& target) {
  if (fields.has("servers")) {
    const std::vector<std::string> servers = fields.strings("servers");
    if (servers.empty()) {
      fields.error("servers",
                   "servers: expected at least one server (leave servers out to ask "
                   "the system's resolvers)");
    }
    for (const std::string& text : servers) {
      const auto server = dns::parse_server(text);
      if (!server) {
        fields.error("servers", fmt::format("servers: expected {}, got \"{}\"", kServerForm, text));
      } else if (std::find(target.servers.begin(), target.servers.end(), *server) !=
                 target.servers.end()) {
        fields.error("servers", fmt::format("servers: {} is listed twice", server->label()));
      } else {
        target.servers.push_back(*server);
        target.labels.push_back(server->label());
      }
    }
  }
  if (target.labels.empty()) target.labels.emplace_back(kSystemLabel);
}

// expect, expect_contains, expect_not_contains and expect_cname, canonical for the type.
void read_record_assertions(Fields& fields, DnsTarget& target) {
  if (fields.has("expect")) {
    const std::vector<std::string> expect = read_values(fields, "expect", target);
    target.expect.emplace(expect.begin(), expect.end());
  }
  target.expect_contains = read_values(fields, "expect_contains", target);
  target.expect_not_contains = read_values(fields, "expect_not_contains", target);
  for (const std::string& value : target.expect_contains) {
    if (std::find(target.expect_not_contains.begin(), target.expect_not_contains.end(), value) !=
        target.expect_not_contains.end()) {
      fields.error("expect_not_contains",
                   fmt::format("expect_not_contains: {} is also in expect_contains",
                               display(target.type, value)));
    }
  }
  if (fields.has("expect_cname")) {
    const std::string cname = fields.string("expect_cname");
    if (const auto problem = dns::name_problem(cname)) {
      fields.error("expect_cname",
                   fmt::format("expect_cname: \"{}\" is not a domain name: {}", cname, *problem));
    } else {
      target.expect_cname = dns::canonical_name(cname);
    }
  }
}

void read_agree(Fields& fields, DnsTarget& target) {
  target.agree = fields.boolean("agree");
  if (!target.agree || target.servers.size() >= 2) return;
  fields.error("agree", target.servers.empty()
                            ? std::string("agree: needs at least two servers to compare, got "
                                          "none (the system's configuration)")
                            : fmt::format("agree: needs at least two servers to compare, got {}",
                                          target.servers.size()));
}

}  // namespace

KindSpec DnsCheck::spec() {
  return {
      .description =
          "Asks DNS servers for a name and checks every server's answer: the records, the CNAME "
          "chain, NXDOMAIN, TTLs, and that the servers agree. Measures answers, min_ttl_s and "
          "latency_ms per server.",
      .fields =
          {
              {.name = "query",
               .required = true,
               .description = "The name to look up; with type PTR also an IP address, looked "
                              "up in reverse",
               .non_empty = true},
              {.name = "type",
               .type = FieldType::choice,
               .description = "Record type to ask for",
               .choices = {"A", "AAAA", "CNAME", "MX", "TXT", "SRV", "NS", "SOA", "CAA", "PTR"},
               .default_value = "A"},
              {.name = "servers",
               .type = FieldType::string_list,
               .description = "Resolvers to ask, each ADDRESS or ADDRESS:PORT ([::1]:5353); "
                              "every one is asked and must pass. Default: the system's "
                              "configuration",
               .non_empty = true},
              {.name = "tcp",
               .type = FieldType::boolean,
               .description = "Ask over TCP (a truncated UDP answer switches to TCP anyway)",
               .default_value = "false"},
              {.name = "tries",
               .type = FieldType::integer,
               .description = "Tries per server; each try waits twice as long as the one "
                              "before, and all fit in the timeout",
               .default_value = "2",
               .min = 1,
               .max = kMaxTries},
              {.name = "expect",
               .type = FieldType::string_list,
               .description = "The answer set, exactly (order and duplicates aside): "
                              "addresses, names, \"10 mail.example.com\", text; [] for none"},
              {.name = "expect_contains",
               .type = FieldType::string_list,
               .description = "Values that must be among the answers"},
              {.name = "expect_not_contains",
               .type = FieldType::string_list,
               .description = "Values that must not be among the answers"},
              {.name = "expect_cname",
               .description = "A name the CNAME chain from the query passes through"},
              {.name = "nxdomain",
               .type = FieldType::boolean,
               .description = "true: the name must not exist (NXDOMAIN). Otherwise NXDOMAIN "
                              "fails the check",
               .default_value = "false"},
              {.name = "max_ttl",
               .type = FieldType::seconds,
               .description = "Highest TTL allowed on the answers and the CNAMEs leading to "
                              "them: seconds (300) or a duration (5m)"},
              {.name = "min_answers",
               .type = FieldType::integer,
               .description = "Fewest answers of the type; default 1 unless expect or "
                              "nxdomain is given",
               .min = 0,
               .max = kMaxMinAnswers},
              {.name = "agree",
               .type = FieldType::boolean,
               .description = "Every server must find the same RCODE, CNAME chain and answer "
                              "set (needs two servers or more)",
               .default_value = "false"},
          },
  };
}

DnsCheck::DnsCheck(Fields& fields) {
  auto target = std::make_shared<DnsTarget>();
  const std::optional<int> type = dns::type_number(fields.string("type", "A"));
  target->type = *type;  // one of the spec's choices
  target->type_text = dns::type_name(*type);
  if (fields.has("query")) read_query(fields, *target);
  read_servers(fields, *target);
  target->tcp = fields.boolean("tcp");
  target->tries = static_cast<int>(fields.integer("tries", kDefaultTries));
  read_record_assertions(fields, *target);
  target->nxdomain = fields.boolean("nxdomain");
  if (fields.has("max_ttl")) target->max_ttl = fields.duration("max_ttl");
  if (fields.has("min_answers")) target->min_answers = fields.integer("min_answers");
  if (target->nxdomain) {
    for (const std::string_view field : {"expect", "expect_contains", "expect_not_contains",
                                         "expect_cname", "max_ttl", "min_answers"}) {
      if (!fields.has(field)) continue;
      fields.error(field, fmt::format("{}: cannot be combined with nxdomain: true (a name that "
                                      "does not exist has no records)",
                                      field));
    }
  }
  // Without a count or an exact set, an empty answer must not pass as "nothing wrong found".
  if (target->min_answers) {
    target->required_answers = *target->min_answers;
  } else if (target->expect || target->nxdomain) {
    target->required_answers = 0;
  }
  read_agree(fields, *target);

  target->label = fmt::format("{} {}", target->type_text, target->query);
  if (!target->servers.empty())
    target->label += " @" + fmt::format("{}", fmt::join(target->labels, ","));
  target_ = std::move(target);
}

DnsCheck::~DnsCheck() = default;

void DnsCheck::start(CheckContext& context, Completion done) {
  auto session =
      std::make_shared<DnsSession>(context.io, target_, std::move(done), own_budget(context));
  session->run(*context.cancellation);
}

std::string DnsCheck::describe() const {
  const DnsTarget& target = *target_;
  std::string text = target.label;
  if (target.tcp) text += " tcp";
  if (target.expect) {
    text += target.expect->empty() ? " expect none"
                                   : " expect " + join_display(target.type, *target.expect, ",");
  }
  if (!target.expect_contains.empty()) {
    text += " expect_contains " + join_display(target.type, target.expect_contains, ",");
  }
  if (!target.expect_not_contains.empty()) {
    text += " expect_not_contains " + join_display(target.type, target.expect_not_contains, ",");
  }
  if (target.expect_cname) text += " expect_cname " + *target.expect_cname;
  if (target.nxdomain) text += " nxdomain";
  if (target.max_ttl) text += " max_ttl " + format_duration(*target.max_ttl);
  if (target.min_answers) text += fmt::format(" min_answers {}", *target.min_answers);
  if (target.agree) text += " agree";
  return text;
}

}  // namespace cutover
