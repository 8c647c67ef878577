#include "app/demo_environment.hpp"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/asio/ip/address.hpp>

#include "loopback/certificates.hpp"
#include "loopback/dns_servers.hpp"
#include "loopback/http_servers.hpp"
#include "loopback/mariadb_server.hpp"
#include "loopback/postgres_cluster.hpp"
#include "loopback/tcp_servers.hpp"
#include "loopback/temp_dir.hpp"

namespace cutover::demo {
namespace {

using loopback::Certificate;
using loopback::CertificateSpec;
using loopback::DnsRecord;
using loopback::DnsTestServer;
using loopback::HttpResponse;
using loopback::HttpServer;
using loopback::MariadbServer;
using loopback::PostgresCluster;
using loopback::TempDir;
using loopback::TestCa;
using loopback::TlsServerOptions;

// Two loopback addresses, so that moving a DNS record is a visible change of address.
constexpr std::string_view kOldAddress = "127.0.0.2";
constexpr std::string_view kNewAddress = "127.0.0.3";
constexpr std::string_view kSource = "shop_source";
constexpr std::string_view kTarget = "shop_target";
constexpr std::string_view kSubscription = "shop_sub";
constexpr std::chrono::seconds kCopyBudget{30};
// The faults: these rows of the target change or go, its order sequence falls back to this.
constexpr int kChangedOrder = 1234;
constexpr int kMissingOrder = 4321;
constexpr int kSequenceLeftBehind = 100;

// The MariaDB part: an inventory moved from MariaDB to PostgreSQL, copied by the demo itself.
constexpr std::string_view kInventory = "inventory";
// The fault: this item's stock in the first warehouse does not arrive in PostgreSQL.
constexpr int kLostStockItem = 77;

constexpr std::string_view kInventoryMariadb = R"sql(
CREATE TABLE items (
  id INT PRIMARY KEY,
  sku VARCHAR(32) NOT NULL UNIQUE,
  name VARCHAR(100) NOT NULL,
  price DECIMAL(10, 2) NOT NULL
);
CREATE TABLE stock (
  item_id INT NOT NULL,
  warehouse CHAR(3) NOT NULL,
  quantity INT NOT NULL,
  PRIMARY KEY (item_id, warehouse)
);
INSERT INTO items SELECT seq, CONCAT('SKU-', LPAD(seq, 5, '0')), CONCAT('Item ', seq),
  ROUND(1 + (seq * 37 % 9900) / 100, 2) FROM seq_1_to_200;
INSERT INTO stock SELECT i.seq, w.code, (i.seq * 13 + w.n * 7) % 500
  FROM seq_1_to_200 AS i
  CROSS JOIN (SELECT 1 AS n, 'AMS' AS code UNION ALL SELECT 2, 'BER' UNION ALL SELECT 3, 'CPH') AS w;
)sql";

constexpr std::string_view kInventoryPostgres = R"sql(
CREATE TABLE items (
  id integer PRIMARY KEY,
  sku varchar(32) NOT NULL UNIQUE,
  name varchar(100) NOT NULL,
  price numeric(10, 2) NOT NULL
);
CREATE TABLE stock (
  item_id integer NOT NULL,
  warehouse char(3) NOT NULL,
  quantity integer NOT NULL,
  PRIMARY KEY (item_id, warehouse)
);
)sql";

constexpr std::string_view kSchema = R"sql(
CREATE TABLE customers (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL UNIQUE,
  country char(2) NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers (id),
  status text NOT NULL CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')),
  amount numeric(10, 2) NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
)sql";

// Deterministic sample data: 1,000 customers and 5,000 orders.
constexpr std::string_view kSampleData = R"sql(
INSERT INTO customers (name, email, country, created_at)
SELECT 'Customer ' || i, 'customer' || i || '@shop.test',
       (ARRAY['DE', 'FR', 'NL', 'SE', 'US'])[1 + i % 5],
       timestamptz '2025-01-01 00:00:00+00' + i * interval '7 hours'
FROM generate_series(1, 1000) AS i;
INSERT INTO orders (customer_id, status, amount, created_at)
SELECT 1 + (i * 7) % 1000, (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + i % 4],
       ((i * 37) % 20000) / 100.0,
       timestamptz '2025-06-01 00:00:00+00' + i * interval '53 minutes'
FROM generate_series(1, 5000) AS i;
ANALYZE;
)sql";

std::vector<DnsRecord> zone(std::string_view api_address, std::string_view www_address,
                            int serial) {
  return {
      {"shop.test.", "SOA", 60,
       fmt::format("ns.shop.test. hostmaster.shop.test. {} 3600 600 86400 60", serial)},
      {"api.shop.test.", "A", 60, std::string(api_address)},
      {"www.shop.test.", "A", 60, std::string(www_address)},
  };
}

HttpResponse json_response(std::string body) {
  return {200, {{"Content-Type", "application/json"}}, std::move(body)};
}

// The HTTPS API of one environment: /health names the environment; the new one also sends HSTS
// and serves a small login-then-read flow.
std::unique_ptr<HttpServer> start_api(const Certificate& certificate, std::string_view address,
                                      std::string_view environment, bool is_new) {
  TlsServerOptions tls;
  tls.certificate = certificate;
  auto server =
      std::make_unique<HttpServer>(tls, boost::asio::ip::make_address(std::string(address)));
  HttpResponse health =
      json_response(fmt::format(R"({{"status":"UP","environment":"{}","version":"{}"}})",
                                environment, is_new ? "2.0.0" : "1.4.2"));
  if (is_new) health.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
  server->route("/health", [health](const loopback::HttpRequest&) { return health; });
  if (is_new) {
    server->route("/login", [](const loopback::HttpRequest& request) {
      if (request.method != "POST") return HttpResponse{405, {}, "POST only"};
      return json_response(R"({"token":"demo-token-7c1e"})");
    });
    server->route("/orders/42", [](const loopback::HttpRequest& request) {
      if (request.header("Authorization") != "Bearer demo-token-7c1e") {
        return HttpResponse{401, {}, "login first"};
      }
      return json_response(R"({"id":42,"status":"paid","amount":"19.99"})");
    });
  }
  return server;
}

}  // namespace

struct Environment::State {
  bool inject_faults = false;
  std::function<bool()> stop_requested;
  TempDir dir;
  std::optional<TestCa> ca;
  std::unique_ptr<HttpServer> old_api;
  std::unique_ptr<HttpServer> new_api;
  std::unique_ptr<HttpServer> new_plain;
  std::unique_ptr<DnsTestServer> dns;
  std::unique_ptr<PostgresCluster> cluster;
  std::string database_note;
  std::unique_ptr<MariadbServer> mariadb;
  std::string mariadb_note;
  std::map<std::string, std::string> variables;

  void start_services();
  void start_databases();
  void copy_data() const;
  void start_inventory();
  void copy_inventory() const;
  void step_done() const {
    if (stop_requested()) throw Interrupted();
  }
  std::string source_value(std::string_view sql) const {
    return cluster->query_value(kSource, sql);
  }
};

void Environment::State::start_services() {
  ca.emplace(dir, "Cutover Demo CA");
  CertificateSpec spec;
  spec.dns_names = {"api.shop.test", "www.shop.test"};
  spec.organization = "Shop";
  spec.days_valid = 365;
  const Certificate old_certificate = ca->issue(spec);
  // The fault: the new environment went live with a certificate about to expire.
  spec.days_valid = inject_faults ? 3 : 90;
  const Certificate new_certificate = ca->issue(spec);

  old_api = start_api(old_certificate, kOldAddress, "old", false);
  new_api = start_api(new_certificate, kNewAddress, "new", true);
  new_plain = std::make_unique<HttpServer>(boost::asio::ip::make_address(std::string(kNewAddress)));
  new_plain->redirect("/", new_api->url("api.shop.test", "/"), 301);
  dns = std::make_unique<DnsTestServer>(zone(kOldAddress, kOldAddress, 1));

  variables = {
      {"OLD_ADDRESS", std::string(kOldAddress)},
      {"NEW_ADDRESS", std::string(kNewAddress)},
      {"OLD_HTTPS_PORT", std::to_string(old_api->port())},
      {"NEW_HTTPS_PORT", std::to_string(new_api->port())},
      {"NEW_HTTP_PORT", std::to_string(new_plain->port())},
      {"ADMIN_PORT", std::to_string(loopback::unused_port(
                         boost::asio::ip::make_address(std::string(kNewAddress))))},
      {"DNS_SERVER", dns->address()},
      {"CA_FILE", ca->ca_file().string()},
      {"DB_HOST", "127.0.0.1"},
  };
}

void Environment::State::start_databases() {
  try {
    cluster = std::make_unique<PostgresCluster>();
  } catch (const std::exception& error) {
    database_note = error.what();
    // Declared databases need connection strings even when their checks are not selected.
    variables["SOURCE_DSN"] = "host=127.0.0.1 port=1 dbname=none";
    variables["TARGET_DSN"] = "host=127.0.0.1 port=1 dbname=none";
    variables["DB_PORT"] = "5432";
    return;
  }
  step_done();
  copy_data();
  variables["SOURCE_DSN"] = cluster->dsn(kSource);
  variables["TARGET_DSN"] = cluster->dsn(kTarget);
  variables["DB_PORT"] = std::to_string(cluster->port());
}

// The migration itself: the same schema on both sides, the data loaded into the source, and a
// logical replication subscription that copies it to the target and keeps it in step.
void Environment::State::copy_data() const {
  cluster->create_database(kSource);
  cluster->create_database(kTarget);
  cluster->execute(kSource, kSchema);
  cluster->execute(kTarget, kSchema);
  cluster->execute(kSource, kSampleData);
  step_done();
  cluster->execute(kSource, "CREATE PUBLICATION shop_pub FOR TABLE customers, orders");
  // Both databases live in one cluster: CREATE SUBSCRIPTION would wait for itself to create the
  // slot, so the slot is made beforehand.
  cluster->execute(kSource, fmt::format("SELECT pg_create_logical_replication_slot('{}', "
                                        "'pgoutput')",
                                        kSubscription));
  cluster->execute(kTarget, fmt::format("CREATE SUBSCRIPTION {0} CONNECTION '{1}' PUBLICATION "
                                        "shop_pub WITH (create_slot = false, slot_name = '{0}')",
                                        kSubscription, cluster->dsn(kSource)));

  const auto deadline = std::chrono::steady_clock::now() + kCopyBudget;
  while (cluster->query_value(kTarget,
                              "SELECT count(*) FILTER (WHERE srsubstate = 'r') = 2 "
                              "FROM pg_subscription_rel") != "t") {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(
          fmt::format("the target's subscription did not copy the tables "
                      "within {}s",
                      kCopyBudget.count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    step_done();
  }
  cluster->execute(kTarget, "ANALYZE");

  // Logical replication does not carry sequences: a cutover sets them on the target.
  const std::string customers_last = source_value("SELECT last_value FROM customers_id_seq");
  const std::string orders_last = inject_faults ? std::to_string(kSequenceLeftBehind)
                                                : source_value(
                                                      "SELECT last_value FROM "
                                                      "orders_id_seq");
  cluster->execute(kTarget, fmt::format("SELECT setval('customers_id_seq', {}), "
                                        "setval('orders_id_seq', {})",
                                        customers_last, orders_last));
  if (inject_faults) {
    cluster->execute(kTarget, fmt::format("UPDATE orders SET amount = amount + 10 WHERE id = {};"
                                          "DELETE FROM orders WHERE id = {}",
                                          kChangedOrder, kMissingOrder));
  }
  // The change freeze before the cutover: new sessions on the source may no longer write.
  cluster->execute("postgres", fmt::format("ALTER DATABASE {} SET default_transaction_read_only "
                                           "= on",
                                           kSource));
}

// The MariaDB part, when MariaDB is installed and PostgreSQL runs: the inventory in MariaDB,
// copied table by table into PostgreSQL's inventory database.
void Environment::State::start_inventory() {
  // Declared databases need connection strings even when their checks are not selected.
  variables["INVENTORY_SOURCE_DSN"] = "mysql://127.0.0.1:1/none";
  variables["INVENTORY_TARGET_DSN"] = "host=127.0.0.1 port=1 dbname=none";
  if (cluster == nullptr) {
    mariadb_note = "it is copied into PostgreSQL, which is not available";
    return;
  }
  if (!loopback::mariadb_installed()) {
    mariadb_note = "the MariaDB server is not installed (mariadbd, mariadb-install-db, mariadb)";
    return;
  }
  mariadb = std::make_unique<MariadbServer>();
  step_done();
  copy_inventory();
  variables["INVENTORY_SOURCE_DSN"] = mariadb->dsn(kInventory);
  variables["INVENTORY_TARGET_DSN"] = cluster->dsn(kInventory);
  variables["MARIADB_PORT"] = std::to_string(mariadb->port());
}

void Environment::State::copy_inventory() const {
  mariadb->create_database(kInventory);
  mariadb->execute(kInventoryMariadb, kInventory);
  cluster->create_database(kInventory);
  cluster->execute(kInventory, kInventoryPostgres);
  for (const auto& [table, columns] : {std::pair{"items", "id, sku, name, price"},
                                       std::pair{"stock", "item_id, warehouse, quantity"}}) {
    std::vector<std::string> rows;
    for (const auto& row :
         mariadb->query(fmt::format("SELECT {} FROM {}", columns, table), kInventory)) {
      std::vector<std::string> values;
      for (const auto& value : row)
        values.push_back(fmt::format("'{}'", value.value_or("")));
      // One format: GCC 12 at -O3 warns of an overlapping copy in "(" + ... + ")".
      rows.push_back(fmt::format("({})", fmt::join(values, ", ")));
    }
    cluster->execute(kInventory, fmt::format("INSERT INTO {} ({}) VALUES {}", table, columns,
                                             fmt::join(rows, ", ")));
    step_done();
  }
  if (inject_faults) {
    cluster->execute(
        kInventory,
        fmt::format("DELETE FROM stock WHERE item_id = {} AND warehouse = 'AMS'", kLostStockItem));
  }
  cluster->execute(kInventory, "ANALYZE");
}

Environment::Environment(bool inject_faults, std::function<bool()> stop_requested)
    : state_(std::make_unique<State>()) {
  state_->inject_faults = inject_faults;
  state_->stop_requested = std::move(stop_requested);
  state_->start_services();
  state_->step_done();
  state_->start_databases();
  state_->step_done();
  state_->start_inventory();
}

Environment::~Environment() = default;

const std::map<std::string, std::string>& Environment::variables() const {
  return state_->variables;
}

bool Environment::has_databases() const {
  return state_->cluster != nullptr;
}

const std::string& Environment::database_note() const {
  return state_->database_note;
}

bool Environment::has_mariadb() const {
  return state_->mariadb != nullptr;
}

const std::string& Environment::mariadb_note() const {
  return state_->mariadb_note;
}

void Environment::cut_over() {
  // The fault: www.shop.test was forgotten and still points at the old environment.
  state_->dns->set_records(zone(kNewAddress, state_->inject_faults ? kOldAddress : kNewAddress, 2));
}

}  // namespace cutover::demo
