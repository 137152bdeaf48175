// Bad requests get a 4xx whose JSON message names the problem; nothing a
// query holds reaches the store unchecked.
#include <gtest/gtest.h>

#include "api_store.hpp"
#include "scratch_dir.hpp"

namespace ember::ui::test {
namespace {

using BadRequests = ApiStoreTest;

// The error's status and message, checking the error's JSON shape.
std::pair<int, std::string> error_of(const ApiResponse& r) {
  Json body = JsonParser::parse(r.body);
  EXPECT_EQ(body["error"]["status"].number, r.status);
  return {r.status, body["error"]["message"].text};
}

void expect_error(const ApiResponse& r, int status, const std::string& fragment) {
  auto [got, message] = error_of(r);
  EXPECT_EQ(got, status) << message;
  EXPECT_NE(message.find(fragment), std::string::npos) << message;
}

TEST_F(BadRequests, BadRanges) {
  expect_error(get("/api/v1/flamegraph", {{"from", "yesterday"}}), 400, "from: ");
  expect_error(get("/api/v1/flamegraph", {{"from", "-1h"}, {"to", "-2h"}}), 400,
               "ends before it starts");
  expect_error(get("/api/v1/diff", {{"base_from", "99999999999999999999999"}}), 400, "base_from");
  expect_error(get("/api/v1/flamegraph", {{"from", "2020-01-01"}, {"to", "2020-01-02"}}), 404,
               "no samples");
}

TEST_F(BadRequests, UnknownTargets) {
  expect_error(get("/api/v1/flamegraph", {{"service", "nope"}}), 404, "services: shop");
  expect_error(get("/api/v1/flamegraph", {{"process", "nope"}}), 404, "processes: api (pid 10");
  expect_error(get("/api/v1/flamegraph", {{"kind", "Not A Kind"}}), 400, "kind: ");
  expect_error(get("/api/v1/flamegraph", {{"pid", "-3"}}), 400, "pid: ");
  expect_error(get("/api/v1/flamegraph", {{"focus", "nothing_runs_this"}}), 404, "nothing_runs_this");
}

TEST_F(BadRequests, HugeAndUnknownParameters) {
  expect_error(get("/api/v1/targets", {{"q", std::string(100'000, 'x')}}), 400,
               "q: longer than 512 bytes");
  Params many;
  for (int i = 0; i < 1000; ++i) many.emplace("pid", std::to_string(i + 1));
  expect_error(get("/api/v1/flamegraph", many), 400, "pid: more than 64 values");
  expect_error(get("/api/v1/timeline", {{"points", "100000000"}}), 400, "points: ");
  expect_error(get("/api/v1/timeline", {{"points", "12abc"}}), 400, "points: ");
  expect_error(get("/api/v1/flamegraph", {{"frm", "-1h"}}), 400, "unknown parameter 'frm'");
  expect_error(get("/api/v1/flamegraph", {{"from", "-1h"}, {"from", "-2h"}}), 400,
               "from: given 2 times");
  expect_error(get("/api/v1/export", {{"format", "png"}}), 400, "unknown format 'png'");
  expect_error(get("/api/v1/flamegraph", {{"view", "mixed"}}), 400, "view: expected runtime or native");
  expect_error(get("/api/v1/timeline", {{"view", "native"}}), 400, "unknown parameter 'view'");
}

TEST_F(BadRequests, UnknownEndpoint) {
  expect_error(get("/api/v2/targets"), 404, "no API endpoint /api/v2/targets");
}

TEST(EmptyStore, SaysHowWindowsArrive) {
  ember::test::ScratchDir dir("ember-ui-empty");
  std::string path = dir.file("ember.db");
  {
    std::unique_ptr<store::StoreWriter> writer;
    ASSERT_TRUE(store::StoreWriter::open(path, writer).ok());
  }
  std::unique_ptr<store::StoreReader> reader;
  ASSERT_TRUE(store::StoreReader::open(path, reader));
  Api api(*reader, [] { return kT0; });
  expect_error(api.handle("/api/v1/targets", {}), 404, "no windows yet");
  Json summary = JsonParser::parse(api.handle("/api/v1/summary", {}).body);
  EXPECT_EQ(summary["windows"].number, 0);
  EXPECT_EQ(summary["first"].type, Json::Type::null);
}

}  // namespace
}  // namespace ember::ui::test
