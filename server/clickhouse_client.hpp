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
// once the rows are on their shards, as a single node answers.
#pragma once

#include <string>
#include <vector>

namespace ember::server {

struct ClickHouseAnswer {
  bool reached = false;  // false: no HTTP answer (error says why)
  int status = 0;        // HTTP status when reached
  std::string body;      // the result, or ClickHouse's error text
  std::string error;     // the transport's reason when not reached

  bool ok() const { return reached && status == 200; }
  // For logs and messages: "ClickHouse at URL: ..." with the reason.
  std::string describe() const;
};

class ClickHouse {
 public:
  // `url`: http://host:port/ (a path or query is not accepted);
  // `database`: used for every statement that does not name one.
  ClickHouse(std::string url, std::string database);
  // A cluster: statements go to `urls[0]`; every node's URL (each shard's
  // replicas included) for what runs on each node (tables, retention).
  ClickHouse(const std::vector<std::string>& urls, std::string database, std::string cluster);

  const std::string& url() const { return url_; }
  const std::string& database() const { return database_; }
  const std::string& cluster() const { return cluster_; }  // "": a single node
  // Each node alone (its own tables), the first being this one's: one for a
  // single node.
  std::vector<ClickHouse> nodes() const;
  // The table holding `table`'s rows on a node: `table` on a single node,
  // `table_local` under a cluster's Distributed `table`.
  std::string local_table(const std::string& table) const;

  // `statement` alone, or followed by `data` (the rows of an INSERT).
  ClickHouseAnswer run(const std::string& statement, const std::string& data = "") const;

 private:
  std::string url_;
  std::string host_;
  int port_ = 8123;
  std::string database_;
  std::string cluster_;
  std::vector<std::string> node_urls_;  // a cluster's; empty for a single node
};

// `text` as a ClickHouse string literal ('...' with \\ and \' escaped).
std::string sql_quote(const std::string& text);

}  // namespace ember::server
