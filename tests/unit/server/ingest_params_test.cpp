// POST /ingest's parameters as the upload sink and Pyroscope clients send them.
#include "ingest_params.hpp"

#include <gtest/gtest.h>

namespace ember::server {
namespace {

using Query = std::multimap<std::string, std::string>;

TEST(IngestParams, ReadsTheUploadSinksRequest) {
  IngestParams p;
  Status parsed = parse_ingest_params(
      {{"name", "ember.cpu{host=web-3,region=eu}"}, {"from", "1795633500"},
       {"until", "1795633560"}, {"format", "pprof"}, {"sampleRate", "99"}, {"spyName", "ember"}},
      p);
  ASSERT_TRUE(parsed) << parsed.message();
  EXPECT_EQ(p.app, "ember.cpu");
  EXPECT_EQ(p.host, "web-3");
  ASSERT_EQ(p.labels.size(), 1u);
  EXPECT_EQ(p.labels[0].key, "region");
  EXPECT_EQ(p.labels[0].value, "eu");
  EXPECT_EQ(p.from_s, 1795633500);
  EXPECT_EQ(p.until_s, 1795633560);
  EXPECT_EQ(p.format, IngestFormat::pprof);
  EXPECT_EQ(p.sample_rate, 99u);
}

TEST(IngestParams, PyroscopesDefaults) {
  IngestParams p;
  ASSERT_TRUE(parse_ingest_params({{"name", "shop"}}, p));
  EXPECT_EQ(p.app, "shop");
  EXPECT_EQ(p.host, "unknown");
  EXPECT_EQ(p.format, IngestFormat::folded);
  EXPECT_EQ(p.sample_rate, 100u);
}

TEST(IngestParams, RefusesWhatItCannotRead) {
  const Query bad[] = {
      {},
      {{"name", "{host=a}"}},
      {{"name", "app{host=a"}},
      {{"name", "app{nolabel}"}},
      {{"name", "app"}, {"from", "yesterday"}},
      {{"name", "app"}, {"from", "20"}, {"until", "10"}},
      {{"name", "app"}, {"format", "jfr"}},
      {{"name", "app"}, {"sampleRate", "0"}},
      {{"name", "a"}, {"name", "b"}},
  };
  for (const Query& query : bad) {
    IngestParams p;
    Status parsed = parse_ingest_params(query, p);
    EXPECT_FALSE(parsed) << (query.empty() ? "(empty)" : query.begin()->second);
    EXPECT_FALSE(parsed.message().empty());
  }
}

}  // namespace
}  // namespace ember::server
