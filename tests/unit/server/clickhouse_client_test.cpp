// A cluster's statements go to its nodes in turn, and on to the next node
// when one refuses the connection: two nodes that listen on nothing are both
// tried by each statement, starting at alternate nodes, and the answer names
// both. (Statements through a real two-node cluster: integration.fleet_sharded.)
#include "clickhouse_client.hpp"

#include <gtest/gtest.h>

#include "closed_port.hpp"

namespace ember::server {
namespace {

using test::closed_port;

TEST(ClickHouseClient, ClusterStatementsTakeTheNodesInTurnAndPassRefusedConnectionsOn) {
  const std::string a = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  std::string b = a;
  while (b == a) b = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  const ClickHouse cluster({a, b}, "ember", "fleet");
  const ClickHouseAnswer first = cluster.run("SELECT 1");
  const ClickHouseAnswer second = cluster.run("SELECT 1");
  for (const ClickHouseAnswer& answer : {first, second}) {
    EXPECT_FALSE(answer.reached);
    EXPECT_NE(answer.error.find("no node of cluster fleet took the connection"), std::string::npos)
        << answer.error;
    EXPECT_NE(answer.error.find(a), std::string::npos) << answer.error;
    EXPECT_NE(answer.error.find(b), std::string::npos) << answer.error;
  }
  // Each is the last node its statement tried: the two began at different nodes.
  EXPECT_NE(first.url, second.url);
  // A copy (each node's own, for the schema) takes the same turns.
  const ClickHouse copy = cluster;
  EXPECT_EQ(copy.run("SELECT 1").url, first.url);

  const ClickHouse single(a, "ember");
  const ClickHouseAnswer alone = single.run("SELECT 1");
  EXPECT_FALSE(alone.reached);
  EXPECT_EQ(alone.url, a);
  EXPECT_EQ(alone.error.find("no node"), std::string::npos) << alone.error;
}

}  // namespace
}  // namespace ember::server
