// `ember ui`'s HTTP side on a free loopback port, spoken to with
// cpp-httplib's client: the API's answers pass through, the embedded page is
// served, and what is not a loopback GET is refused.
#include "http_server.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "api_store.hpp"
#include "gzip.hpp"
#include "http_encoding.hpp"
#include "ui_assets.hpp"

namespace ember::ui::test {
namespace {

class HttpServerTest : public ApiStoreTest {
 protected:
  void SetUp() override {
    ApiStoreTest::SetUp();
    server_ = std::make_unique<UiServer>(*api_);
    Status bound = server_->bind(ListenAddress{"127.0.0.1", 0});
    ASSERT_TRUE(bound) << bound.message();
    thread_ = std::thread([this] {
      served_ = server_->run();
      finished_ = true;
    });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  void TearDown() override {
    while (thread_.joinable() && !finished_) {  // a stop before the server runs is lost
      server_->stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (thread_.joinable()) thread_.join();
    EXPECT_TRUE(served_) << served_.message();
    ApiStoreTest::TearDown();
  }

  std::unique_ptr<UiServer> server_;
  std::thread thread_;
  Status served_ = Status::ok();
  std::atomic<bool> finished_{false};
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, AnswersTheApi) {
  auto res = client_->Get("/api/v1/targets?q=cron&limit=1");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  Json body = JsonParser::parse(res->body);
  ASSERT_EQ(body["targets"].size(), 1u);
  EXPECT_NE(body["targets"][0]["label"].text.find("cron"), std::string::npos);

  auto bad = client_->Get("/api/v1/flamegraph?from=nonsense");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(JsonParser::parse(bad->body)["error"]["message"].text.find("nonsense"),
            std::string::npos);

  auto file = client_->Get("/api/v1/export?format=folded&service=shop");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->get_header_value("Content-Disposition"),
            "attachment; filename=\"ember-shop-20261125T190500Z.folded\"");
}

// Text goes gzipped to a client that takes gzip, never as Brotli (which
// cpp-httplib picks at its slowest quality for any browser), and as it is
// to one that does not take gzip.
TEST_F(HttpServerTest, GzipsTextForClientsThatTakeIt) {
  client_->set_decompress(false);
  const char* svg = "/api/v1/export?format=svg";
  auto plain = client_->Get(svg);
  ASSERT_TRUE(plain);
  ASSERT_EQ(plain->status, 200);
  EXPECT_FALSE(plain->has_header("Content-Encoding"));
  ASSERT_GE(plain->body.size(), 1024u) << "a body worth compressing";
  auto zipped = client_->Get(svg, {{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(zipped);
  EXPECT_EQ(zipped->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(zipped->get_header_value("Content-Type"), "image/svg+xml");
  EXPECT_EQ(zipped->get_header_value("Vary"), "Accept-Encoding");
  EXPECT_LT(zipped->body.size(), plain->body.size());
  EXPECT_EQ(formats::gunzip(zipped->body), plain->body);
  for (const char* refused : {"br", "gzip;q=0, br", "identity"}) {
    auto as_is = client_->Get(svg, {{"Accept-Encoding", refused}});
    ASSERT_TRUE(as_is);
    EXPECT_FALSE(as_is->has_header("Content-Encoding")) << refused;
    EXPECT_EQ(as_is->body, plain->body) << refused;
  }
}

TEST(HttpEncoding, GzipWhenAcceptedForTextOfAKilobyteOrMore) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("deflate, gzip, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, gzip;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("br, deflate"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("x-gzip2"));
  std::string text(4096, 'a');
  auto zipped = gzipped_body("gzip", "application/json", text);
  ASSERT_TRUE(zipped);
  EXPECT_EQ(formats::gunzip(*zipped), text);
  EXPECT_TRUE(gzipped_body("gzip", "text/css; charset=utf-8", text));
  EXPECT_TRUE(gzipped_body("gzip", "application/javascript", text));
  EXPECT_FALSE(gzipped_body("gzip", "application/octet-stream", text));  // pprof: gzip already
  EXPECT_FALSE(gzipped_body("gzip", "application/json", text.substr(0, 1023)));
  EXPECT_FALSE(gzipped_body("br", "application/json", text));
}

TEST_F(HttpServerTest, ServesTheEmbeddedPage) {
  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  if (ui_assets().empty()) {  // built without web/node_modules: says how to get the UI
    EXPECT_EQ(page->status, 503);
    EXPECT_NE(page->body.find("install-deps.sh"), std::string::npos);
  } else {
    EXPECT_EQ(page->status, 200);
    EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(page->body.find("<script type=\"module\""), std::string::npos);
    auto chart = client_->Get("/vendor/uPlot.esm.js");
    ASSERT_TRUE(chart);
    EXPECT_EQ(chart->status, 200);
    EXPECT_NE(chart->body.find("uPlot"), std::string::npos);
  }
  auto missing = client_->Get("/no/such/file.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(HttpServerTest, RefusesOtherHostsMethodsAndHugeRequests) {
  auto rebound = client_->Get("/api/v1/summary", {{"Host", "attacker.example:80"}});
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 403);

  auto posted = client_->Post("/api/v1/summary", "x", "text/plain");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 405);

  auto huge = client_->Get("/api/v1/targets?q=" + std::string(100'000, 'x'));
  ASSERT_TRUE(huge);
  EXPECT_GE(huge->status, 400);
  EXPECT_LT(huge->status, 500);

  // Still serving after all of that.
  auto fine = client_->Get("/api/v1/summary");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
}

}  // namespace
}  // namespace ember::ui::test
