#include "clickhouse_client.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>

namespace ember::server {
namespace {

// Inserts of a big window and fleet-wide reads take seconds, not minutes.
constexpr int kClickHouseTimeoutSeconds = 60;
constexpr int kConnectSeconds = 5;

std::string percent_escape(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string ClickHouseAnswer::describe() const {
  if (!reached) return "no answer (" + error + ")";
  std::string text = body.substr(0, 500);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return "HTTP " + std::to_string(status) + ": " + text;
}

ClickHouse::ClickHouse(std::string url, std::string database)
    : url_(std::move(url)), database_(std::move(database)) {
  std::string rest = url_;
  if (rest.rfind("http://", 0) != 0) {
    throw std::invalid_argument("'" + url_ + "' is not an http:// URL (ClickHouse's HTTP "
                                "interface, e.g. http://127.0.0.1:8123/)");
  }
  rest = rest.substr(7);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find_first_of("/?#@") != std::string::npos) {
    throw std::invalid_argument("'" + url_ + "' must be http://HOST:PORT/ (no path, query or "
                                "user)");
  }
  const std::size_t colon = rest.rfind(':');
  host_ = rest.substr(0, colon);
  if (colon != std::string::npos) {
    try {
      std::size_t used = 0;
      port_ = std::stoi(rest.substr(colon + 1), &used);
      if (used != rest.size() - colon - 1 || port_ <= 0 || port_ > 65535) throw std::exception();
    } catch (const std::exception&) {
      throw std::invalid_argument("'" + url_ + "': the port is not a number from 1 to 65535");
    }
  }
}

ClickHouse::ClickHouse(const std::vector<std::string>& urls, std::string database,
                       std::string cluster)
    : ClickHouse(urls.empty() ? std::string() : urls.front(), std::move(database)) {
  cluster_ = std::move(cluster);
  for (const std::string& url : urls) {
    const ClickHouse node(url, database_);  // each checked as the first was
    node_urls_.push_back(url);
    node_addresses_.push_back(Address{node.host_, node.port_});
  }
}

std::vector<ClickHouse> ClickHouse::nodes() const {
  if (cluster_.empty()) return {*this};
  std::vector<ClickHouse> nodes;
  for (const std::string& url : node_urls_) {
    nodes.emplace_back(url, database_);
    nodes.back().cluster_ = cluster_;
  }
  return nodes;
}

std::string ClickHouse::local_table(const std::string& table) const {
  return cluster_.empty() ? table : table + "_local";
}

namespace {

// What each statement costs (--log-level debug): where a slow read's time goes.
void log_statement(const std::string& statement, std::size_t sent, const ClickHouseAnswer& answer,
                   std::chrono::steady_clock::time_point began) {
  if (auto log = spdlog::get("server"); log && log->should_log(spdlog::level::debug)) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - began)
                        .count();
    log->debug("ClickHouse: {} ms, HTTP {}, {} bytes answered, {} bytes sent: {:.200}", ms,
               answer.status, answer.body.size(), sent, statement);
  }
}

}  // namespace

ClickHouseAnswer ClickHouse::run(const std::string& statement, const std::string& data) const {
  const auto began = std::chrono::steady_clock::now();
  ClickHouseAnswer answer = run_on_any(statement, data, nullptr);
  log_statement(statement, data.size(), answer, began);
  return answer;
}

ClickHouseAnswer ClickHouse::run(const std::string& statement, const ExternalTable& table) const {
  const auto began = std::chrono::steady_clock::now();
  ClickHouseAnswer answer = run_on_any(statement, "", &table);
  log_statement(statement, table.rows.size(), answer, began);
  return answer;
}

ClickHouseAnswer ClickHouse::run_on_any(const std::string& statement, const std::string& data,
                                        const ExternalTable* table) const {
  bool unconnected = false;
  if (node_addresses_.size() < 2) {
    ClickHouseAnswer answer = run_on(host_, port_, statement, data, table, unconnected);
    answer.url = url_;
    return answer;
  }
  // Any node's Distributed tables reach every shard: the nodes take the
  // statements in turn, so no one node coordinates every read and write.
  const std::size_t nodes = node_addresses_.size();
  const std::size_t first = next_node_->fetch_add(1, std::memory_order_relaxed) % nodes;
  ClickHouseAnswer answer;
  std::string refused;
  for (std::size_t i = 0; i < nodes; ++i) {
    const std::size_t node = (first + i) % nodes;
    answer = run_on(node_addresses_[node].host, node_addresses_[node].port, statement, data, table,
                    unconnected);
    answer.url = node_urls_[node];
    // Only a refused connection goes on to the next node: a statement that
    // was sent (an INSERT, perhaps done) is not sent again.
    if (!unconnected) return answer;
    refused += (refused.empty() ? "" : ", ") + node_urls_[node] + " " + answer.error;
  }
  answer.error = "no node of cluster " + cluster_ + " took the connection: " + refused;
  return answer;
}

ClickHouseAnswer ClickHouse::run_on(const std::string& host, int port, const std::string& statement,
                                    const std::string& data, const ExternalTable* table,
                                    bool& unconnected) const {
  httplib::Client client(host, port);
  client.set_connection_timeout(kConnectSeconds);
  client.set_read_timeout(kClickHouseTimeoutSeconds);
  client.set_write_timeout(kClickHouseTimeoutSeconds);
  ClickHouseAnswer answer;
  // The statement travels in the query string when rows follow it in the
  // body; alone, it is the body (no length limit).
  std::string path = "/?database=" + percent_escape(database_);
  if (!cluster_.empty()) {
    // IN (subquery over a Distributed table) is refused on a Distributed
    // table by default; GLOBAL sends the subquery's result to the shards.
    // An INSERT returns once its rows are on their shards, not queued.
    // Replicated tables would drop a block equal to one of their last
    // (an hour's rollup rows can equal another window's): a window sent
    // again is dropped by its spool entry's mark instead.
    path += "&distributed_product_mode=global&insert_distributed_sync=1&insert_deduplicate=0";
  }
  std::string body = statement;
  if (!data.empty() || table) {
    path += "&query=" + percent_escape(statement);
    body = data;
  }
  if (table) {
    path += "&" + percent_escape(table->name) + "_structure=" + percent_escape(table->structure);
  }
  httplib::Result result =
      table ? client.Post(path, httplib::Headers{},
                          httplib::MultipartFormDataItems{{table->name, table->rows, table->name,
                                                           "text/tab-separated-values"}})
            : client.Post(path, body, "text/plain");
  unconnected = !result && (result.error() == httplib::Error::Connection ||
                            result.error() == httplib::Error::ConnectionTimeout);
  if (!result) {
    answer.error = httplib::to_string(result.error());
    return answer;
  }
  answer.reached = true;
  answer.status = result->status;
  answer.body = std::move(result->body);
  return answer;
}

std::string sql_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace ember::server
