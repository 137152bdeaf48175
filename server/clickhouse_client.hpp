// ClickHouse over its HTTP interface (port 8123 by default): one statement per
// POST, data rows in the body after the statement (INSERT ... FORMAT
// TabSeparated), answers read as text. A request that never reaches the server
// (refused, timed out) is told apart from one ClickHouse answered with an
// error, so ingest can say 503 for the first and 500 for the second.
//
// Two layouts (docs/fleet.md): a single node, or a cluster named in the
// nodes' <remote_servers>, where each table is a Distributed table over the
// shards' `<table>_local` tables. Statements name the tables the same way in
// both; on a cluster every statement runs with a subquery over a Distributed
// table sent to the shards as its result (GLOBAL IN) and an INSERT answered
// once the rows are on their shards, as a single node answers. Every node
// has the Distributed tables, so any node can take a statement: they take
// them in turn, and one that refuses the connection passes the statement to
// the next (nothing was sent, so nothing is written twice).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace ember::server {

struct ClickHouseAnswer {
  bool reached = false;  // false: no HTTP answer (error says why)
  int status = 0;        // HTTP status when reached
  std::string body;      // the result, or ClickHouse's error text
  std::string error;     // the transport's reason when not reached
  std::string url;       // the node that answered (or was asked last)

  bool ok() const { return reached && status == 200; }
  // For logs and messages: "ClickHouse at URL: ..." with the reason.
  std::string describe() const;
};

// A table sent with a statement (ClickHouse's external data): `rows` in
// TabSeparated, `structure` its columns ("id UInt64"). A statement reads it
// by `name` (`WHERE frame_id IN ids`): a set of many ids without a
// statement of that length, and without a subquery computing it again.
struct ExternalTable {
  std::string name, structure, rows;
};

class ClickHouse {
 public:
  // `url`: http://host:port/ (a path or query is not accepted);
  // `database`: used for every statement that does not name one.
  ClickHouse(std::string url, std::string database);
  // A cluster: every node's URL (each shard's replicas included); statements
  // go to the nodes in turn, and what runs on each node (tables, retention)
  // to each.
  ClickHouse(const std::vector<std::string>& urls, std::string database, std::string cluster);

  const std::string& url() const { return url_; }  // a cluster's first node
  const std::string& database() const { return database_; }
  const std::string& cluster() const { return cluster_; }  // "": a single node
  // Each node alone (its own tables), the first being this one's: one for a
  // single node.
  std::vector<ClickHouse> nodes() const;
  // The table holding `table`'s rows on a node: `table` on a single node,
  // `table_local` under a cluster's Distributed `table`.
  std::string local_table(const std::string& table) const;

  // `statement` alone, or followed by `data` (the rows of an INSERT); on a
  // cluster, by the next node in turn, or the one after it when that one
  // refuses the connection.
  ClickHouseAnswer run(const std::string& statement, const std::string& data = "") const;
  // `statement` reading `table`.
  ClickHouseAnswer run(const std::string& statement, const ExternalTable& table) const;

 private:
  // run() without its debug line: on the node, or the cluster's next nodes.
  ClickHouseAnswer run_on_any(const std::string& statement, const std::string& data,
                              const ExternalTable* table) const;
  // One node's answer; `unconnected`: it did not take the connection.
  ClickHouseAnswer run_on(const std::string& host, int port, const std::string& statement,
                          const std::string& data, const ExternalTable* table,
                          bool& unconnected) const;

  std::string url_;
  std::string host_;
  int port_ = 8123;
  std::string database_;
  std::string cluster_;
  std::vector<std::string> node_urls_;  // a cluster's; empty for a single node
  struct Address {
    std::string host;
    int port;
  };
  std::vector<Address> node_addresses_;  // node_urls_'
  // The node a cluster's next statement goes to first (shared by copies).
  std::shared_ptr<std::atomic<std::size_t>> next_node_ = std::make_shared<std::atomic<std::size_t>>(0);
};

// `text` as a ClickHouse string literal ('...' with \\ and \' escaped).
std::string sql_quote(const std::string& text);

}  // namespace ember::server
