// POST /ingest's refusals, each with its status and counted by reason: no
// token, an unknown one, a body over the limit, a small gzip body that
// inflates past its limit, bodies that are not a profile, and a ClickHouse
// that does not answer (503, so the agent keeps the window). The stored path
// is the integration test's (real ClickHouse).
#include "ingest.hpp"

#include <gtest/gtest.h>

#include "closed_port.hpp"
#include "gzip.hpp"

namespace ember::server {
namespace {

using test::closed_port;

class IngestTest : public ::testing::Test {
 protected:
  IngestTest()
      : clickhouse_("http://127.0.0.1:" + std::to_string(closed_port()) + "/", "ember"),
        schema_(clickhouse_, nullptr),
        ingest_(clickhouse_, schema_, Tokens::of({{"good", "test"}}), IngestLimits{4096, 65536},
                counters_, nullptr) {}

  IngestAnswer post(std::string body, std::string authorization = "Bearer good",
                    std::string format = "folded") {
    IngestRequest request;
    request.authorization = std::move(authorization);
    request.query = {{"name", "app{host=h1}"}, {"format", format}};
    request.body = std::move(body);
    return ingest_.handle(request);
  }

  ClickHouse clickhouse_;
  SchemaGate schema_;
  IngestCounters counters_;
  Ingest ingest_;
};

TEST_F(IngestTest, RefusalsHaveTheirStatusAndAreCounted) {
  EXPECT_EQ(post("main;f 1\n", "").status, 401);
  EXPECT_EQ(post("main;f 1\n", "Bearer bad").status, 403);
  EXPECT_EQ(post(std::string(5000, 'x')).status, 413);
  // 1 MiB of zeros is ~1 KiB of gzip: under the body limit, over the inflated one.
  const std::string bomb = formats::gzip(std::string(1 << 20, '\0'));
  ASSERT_LT(bomb.size(), 4096u);
  EXPECT_EQ(post(bomb, "Bearer good", "pprof").status, 413);
  EXPECT_EQ(post("not a profile at all", "Bearer good", "pprof").status, 400);
  EXPECT_EQ(post("main;f one\n").status, 400);
  EXPECT_EQ(post(std::string("\x1f\x8b damaged", 10)).status, 400);

  EXPECT_EQ(counters_.refusals(Refusal::no_token), 1u);
  EXPECT_EQ(counters_.refusals(Refusal::bad_token), 1u);
  EXPECT_EQ(counters_.refusals(Refusal::too_large), 2u);
  EXPECT_EQ(counters_.refusals(Refusal::malformed), 3u);
  EXPECT_EQ(counters_.windows(), 0u);
  const std::string metrics = counters_.prometheus();
  EXPECT_NE(metrics.find("ember_server_refused_total{reason=\"malformed\"} 3"), std::string::npos)
      << metrics;
}

TEST_F(IngestTest, UnreachableClickHouseIs503) {
  // The server started before ClickHouse: its tables cannot be created yet.
  EXPECT_FALSE(schema_.attempt());
  EXPECT_FALSE(schema_.ready());
  EXPECT_NE(schema_.why_not().find("unreachable"), std::string::npos) << schema_.why_not();
  IngestAnswer answer = post("main;f 3\nmain;g 2\n");
  EXPECT_EQ(answer.status, 503) << answer.message;
  EXPECT_NE(answer.message.find("unreachable"), std::string::npos) << answer.message;
  EXPECT_EQ(counters_.refusals(Refusal::unavailable), 1u);
  EXPECT_EQ(counters_.windows(), 0u);
}

}  // namespace
}  // namespace ember::server
