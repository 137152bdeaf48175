// The replicated layout's statements: on a cluster with replicas every
// `_local` table (and the rollup's view) takes the Replicated kind of its
// engine, with a ZooKeeper path of its own under the shard's macro and the
// engine's own parameters after the two replication ones; the Distributed
// tables and the single node's stay as they are. (The tables on a real
// two-shard, two-replica cluster: integration.fleet_replicas.)
#include "clickhouse_schema.hpp"

#include <gtest/gtest.h>

#include <set>

namespace ember::server {
namespace {

// A statement's engine: the text after "ENGINE = " up to " AS " or the end.
std::string engine_of(const std::string& statement) {
  const std::size_t at = statement.find("ENGINE = ");
  if (at == std::string::npos) return "";
  const std::size_t end = statement.find(" AS ", at);
  return statement.substr(at + 9, end == std::string::npos ? std::string::npos : end - at - 9);
}

TEST(ClickHouseSchema, ReplicasMakeEveryLocalTableReplicatedWithItsOwnPath) {
  const std::vector<std::string> plain = schema_statements("fleet", "ember");
  const std::vector<std::string> replicated = schema_statements("fleet", "ember", true);
  ASSERT_EQ(plain.size(), replicated.size());
  std::set<std::string> paths;
  std::size_t local_tables = 0;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    const std::string engine = engine_of(replicated[i]);
    if (engine.rfind("Distributed", 0) == 0 || engine.empty()) {
      EXPECT_EQ(replicated[i], plain[i]);  // the database and the Distributed tables
      continue;
    }
    ++local_tables;
    const std::string before = engine_of(plain[i]);
    ASSERT_EQ(engine.rfind("Replicated", 0), 0u) << replicated[i];
    const std::size_t path_at = engine.find("('/clickhouse/tables/{shard}/fleet/");
    ASSERT_NE(path_at, std::string::npos) << engine;
    EXPECT_EQ(engine.substr(10, path_at - 10), before.substr(0, before.find_first_of(" (")));
    const std::size_t path_end = engine.find("', '{replica}'", path_at);
    ASSERT_NE(path_end, std::string::npos) << engine;
    EXPECT_TRUE(paths.insert(engine.substr(path_at, path_end - path_at)).second)
        << "two tables share a ZooKeeper path: " << engine;
    // What followed the engine's name follows the replication parameters.
    const std::string rest = before.substr(before.find_first_of(" ("));
    if (rest[0] == '(') {
      EXPECT_NE(engine.find("'{replica}', " + rest.substr(1)), std::string::npos) << engine;
    } else {
      EXPECT_NE(engine.find("'{replica}')" + rest), std::string::npos) << engine;
    }
  }
  EXPECT_EQ(local_tables, 7u);  // six tables and the hourly rollup
  EXPECT_EQ(schema_statements("fleet", "", false), schema_statements("fleet"));
  for (const std::string& statement : schema_statements("fleet")) {
    EXPECT_EQ(statement.find("Replicated"), std::string::npos) << statement;
  }
}

}  // namespace
}  // namespace ember::server
