// The report over a real SQLite store written by the store's writer: the
// contract of store_reader.hpp as `ember report` relies on it.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "report.hpp"
#include "store_writer.hpp"
#include "story_windows.hpp"
#include "scratch_dir.hpp"

namespace ember::report {
namespace {

namespace fs = std::filesystem;

class ReportStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<store::StoreWriter> writer;
    store::StoreOutcome opened = store::StoreWriter::open((dir_ / "ember.db").string(), writer);
    ASSERT_TRUE(opened.ok()) << opened.message;
    for (const Window& w : test::story_windows()) {
      store::StoreOutcome written = writer->write(w);
      ASSERT_TRUE(written.ok()) << written.message;
    }
    writer.reset();
    Status status = store::StoreReader::open((dir_ / "ember.db").string(), reader_);
    ASSERT_TRUE(status) << status.message();
  }

  std::string report(const ReportRequest& request) {
    std::string out;
    Status status = run_report(*reader_, request, test::kT0 + 3600 * test::kS, out);
    EXPECT_TRUE(status) << status.message();
    return out;
  }

  ember::test::ScratchDir scratch_{"ember-report-test"};
  fs::path dir_ = scratch_.path();
  std::unique_ptr<store::StoreReader> reader_;
};

TEST_F(ReportStoreTest, TopAndDiffFromTheStore) {
  std::string top = report({.filter = {.processes = {"api"}}, .format = ReportFormat::folded});
  EXPECT_EQ(top, "api;main;lookup 180\napi;main;render 120\n");
  top = report({.from = "2026-11-25T19:07:00Z", .format = ReportFormat::folded});
  EXPECT_EQ(top, "api;main;lookup 20\napi;main;render 80\ncron;main;tick 50\n");
  std::string diff = report({.to = "2026-11-25T19:07:00Z",
                             .filter = {.services = {"shop"}},
                             .diff = "2026-11-25T19:07:00Z..now"});
  EXPECT_NE(diff.find("  80.00%   20.00%   -60.00   -60.00  python  lookup  (shop.py)\n"),
            std::string::npos)
      << diff;
}

TEST_F(ReportStoreTest, EmptyRangeNamesTheStoredSpan) {
  std::string out;
  Status status = run_report(*reader_, {.from = "2026-11-26T00:00Z", .to = "2026-11-26T01:00Z"},
                             test::kT0, out);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("3 windows from 2026-11-25T19:05:00Z to 2026-11-25T19:08:00Z"),
            std::string::npos)
      << status.message();
}

TEST_F(ReportStoreTest, KindOfARegisteredRuntimeFiltersAndAnUnknownKindListsTheStoresKinds) {
  Window toyvm = test::story_minute(3, 80);
  toyvm.frames[3].kind = "toyvm";  // cron's tick
  toyvm.frame_kinds = {{"toyvm", "#3366cc"}};
  {
    std::unique_ptr<store::StoreWriter> writer;
    ASSERT_TRUE(store::StoreWriter::open((dir_ / "ember.db").string(), writer).ok());
    ASSERT_TRUE(writer->write(toyvm).ok());
  }
  EXPECT_EQ(report({.filter = {.kinds = {"toyvm"}}, .format = ReportFormat::folded}),
            "cron;main;tick 50\n");
  EXPECT_EQ(report({.filter = {.kinds = {"python"}}, .format = ReportFormat::folded}),
            "api;main;lookup 260\napi;main;render 140\n");

  std::string out;
  Status status = run_report(*reader_, {.filter = {.kinds = {"ruby"}}}, test::kT0, out);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message(),
            "no frames of kind 'ruby' in the store; kinds: go, java, kernel, native, node, "
            "python, toyvm, unknown");
}

}  // namespace
}  // namespace ember::report
