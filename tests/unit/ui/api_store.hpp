// The report tests' story (story_windows.hpp: api spends 80, 80, then 20 of
// its 100 samples a minute in lookup, the rest in render; cron 50 in tick)
// written by the store's writer into a real SQLite store, with a metrics step
// every 10 s, and an Api over it whose clock is an hour after the story.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "api.hpp"
#include "mini_json.hpp"
#include "store_writer.hpp"
#include "story_windows.hpp"
#include "scratch_dir.hpp"

namespace ember::ui::test {

using ember::test::Json;
using ember::test::JsonParser;
using ember::test::kS;
using ember::test::kT0;

class ApiStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<store::StoreWriter> writer;
    store::StoreOutcome opened = store::StoreWriter::open((dir_ / "ember.db").string(), writer);
    ASSERT_TRUE(opened.ok()) << opened.message;
    for (Window w : ember::test::story_windows()) {
      // Host 10%..60% busy, api using 0.8 cores in its hot minutes, 0.2 after.
      for (int step = 1; step <= 6; ++step) {
        std::int64_t t = w.start_ns + step * 10 * kS;
        w.host_metrics.push_back({t, 0.1 * step, 8ull << 30, 6ull << 30});
        double api_cores = w.samples[0].count / 100.0;
        w.process_metrics.push_back({t, 10, api_cores, 100ull << 20});
        w.process_metrics.push_back({t, 20, 0.5, 10ull << 20});
      }
      store::StoreOutcome written = writer->write(w);
      ASSERT_TRUE(written.ok()) << written.message;
    }
    writer.reset();
    Status status = store::StoreReader::open((dir_ / "ember.db").string(), reader_);
    ASSERT_TRUE(status) << status.message();
    api_ = std::make_unique<Api>(*reader_, [] { return kT0 + 3600 * kS; });
  }

  ApiResponse get(const std::string& path, const Params& params = {}) {
    return api_->handle(path, params);
  }
  // The JSON of a request that must succeed.
  Json json(const std::string& path, const Params& params = {}) {
    ApiResponse r = get(path, params);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    return JsonParser::parse(r.body);
  }

  ember::test::ScratchDir scratch_{"ember-ui-test"};
  std::filesystem::path dir_ = scratch_.path();
  std::unique_ptr<store::StoreReader> reader_;
  std::unique_ptr<Api> api_;
};

// "2026-11-25T19:07:00Z" and the like, as the API's `from`/`to` take them.
inline const char* kMinute2 = "2026-11-25T19:07:00Z";

}  // namespace ember::ui::test
