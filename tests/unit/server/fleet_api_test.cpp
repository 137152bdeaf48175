// The UI's API over the fleet without ClickHouse: every endpoint is a 503
// saying ClickHouse is unreachable (the answers themselves are checked
// against a real ClickHouse in integration.fleet_server), and a bad `host`
// is a 400 before anything is asked of it.
#include "fleet_api.hpp"

#include <gtest/gtest.h>

#include "closed_port.hpp"

namespace ember::server {
namespace {

using test::closed_port;

TEST(FleetApi, UnreachableClickHouseIs503OnEveryEndpoint) {
  const ClickHouse clickhouse("http://127.0.0.1:" + std::to_string(closed_port()) + "/", "ember");
  FleetApi api(clickhouse, [] { return std::int64_t{1'800'000'000'000'000'000}; });
  for (const char* path : {"/api/v1/summary", "/api/v1/targets", "/api/v1/timeline",
                           "/api/v1/flamegraph", "/api/v1/functions", "/api/v1/diff",
                           "/api/v1/export"}) {
    ui::ApiResponse answer = api.handle(path, {{"host", "web-1"}});
    EXPECT_EQ(answer.status, 503) << path << ": " << answer.body;
    EXPECT_NE(answer.body.find("unreachable"), std::string::npos) << answer.body;
  }
  EXPECT_EQ(api.handle("/api/v1/flamegraph", {{"host", ""}}).status, 400);
  EXPECT_EQ(api.handle("/api/v1/flamegraph", {{"host", std::string(600, 'h')}}).status, 400);
}

}  // namespace
}  // namespace ember::server
