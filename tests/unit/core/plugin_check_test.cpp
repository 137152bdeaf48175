#include "plugin_host/plugin_check.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "ember/abi.hpp"
#include "scratch_dir.hpp"

namespace ember {
namespace {

const std::string kFilesSink = std::string(EMBER_TEST_PLUGIN_DIR) + "/ember_sink_files.so";
const std::string kCpython = std::string(EMBER_TEST_PLUGIN_DIR) + "/ember_runtime_cpython.so";

const PluginCheckStep* find_step(const PluginCheckReport& report, const std::string& name) {
  for (const auto& step : report.steps) {
    if (step.step == name) return &step;
  }
  return nullptr;
}

std::string describe(const PluginCheckReport& report) {
  std::string text;
  for (const auto& step : report.steps) {
    text += (step.ok ? "  ok   " : "  FAIL ") + step.step + ": " + step.text + "\n";
  }
  return text;
}

Config parsed(const std::string& text) {
  Config config;
  Status status = parse_config(text, "check.toml", config);
  EXPECT_TRUE(status) << status.message();
  return config;
}

TEST(PluginCheck, AcceptedConfigPassesEveryStep) {
  ember::test::ScratchDir scratch("ember-plugin-check");
  auto directory = scratch.path() / "profiles";
  PluginCheckRequest request{kFilesSink,
                             parsed("[sink.files]\nenabled = true\ndirectory = \"" +
                                    directory.string() + "\"\n"),
                             {}};
  PluginCheckReport report = check_plugin(request);
  EXPECT_TRUE(report.ok()) << describe(report);
  const PluginCheckStep* plugin = find_step(report, "plugin");
  ASSERT_NE(plugin, nullptr) << describe(report);
  EXPECT_NE(plugin->text.find("sink plugin 'files'"), std::string::npos) << plugin->text;
  const PluginCheckStep* abi = find_step(report, "abi");
  ASSERT_NE(abi, nullptr);
  EXPECT_NE(abi->text.find("built for ABI " + std::to_string(kAbiMajor) + "."),
            std::string::npos) << abi->text;
}

TEST(PluginCheck, ConfigThePluginRefusesFailsWithItsMessage) {
  ember::test::ScratchDir scratch("ember-plugin-check");
  PluginCheckRequest request{kFilesSink,
                             parsed("[sink.files]\nenabled = true\ndirectory = \"" +
                                    scratch.file("profiles") + "\"\n"
                                    "formatz = [\"folded\"]\n"),
                             {}};
  PluginCheckReport report = check_plugin(request);
  EXPECT_FALSE(report.ok());
  const PluginCheckStep* config = find_step(report, "config");
  ASSERT_NE(config, nullptr) << describe(report);
  EXPECT_FALSE(config->ok);
  EXPECT_NE(config->text.find("formatz"), std::string::npos) << config->text;
}

TEST(PluginCheck, APluginThatCrashesWhileLoadingFailsItsLoadStepInsteadOfTheCheck) {
  // Loaded in this process, its constructor's abort() would end the test.
  PluginCheckRequest request{EMBER_TEST_CRASHING_PLUGIN, {}, {}, EMBER_TEST_PLUGIN_LOAD_CHECK};
  PluginCheckReport report = check_plugin(request);
  EXPECT_FALSE(report.ok());
  const PluginCheckStep* abi = find_step(report, "abi");
  ASSERT_NE(abi, nullptr) << describe(report);
  EXPECT_FALSE(abi->ok);
  EXPECT_NE(abi->text.find("crashed while loading"), std::string::npos) << abi->text;
  EXPECT_NE(abi->text.find("signal 6"), std::string::npos) << abi->text;
  EXPECT_EQ(find_step(report, "plugin"), nullptr) << describe(report);
}

TEST(PluginCheck, OtherMajorStopsAtTheAbiStep) {
  PluginCheckRequest request{std::string(EMBER_TEST_ABI_FIXTURE_DIR) + "/abi_4.so", {}, {}};
  PluginCheckReport report = check_plugin(request);
  EXPECT_FALSE(report.ok());
  const PluginCheckStep* abi = find_step(report, "abi");
  ASSERT_NE(abi, nullptr) << describe(report);
  EXPECT_FALSE(abi->ok);
  EXPECT_NE(abi->text.find("version 4"), std::string::npos) << abi->text;
  EXPECT_EQ(find_step(report, "config"), nullptr) << "ran code of a plugin that does not load";
}

// The CPython plugin loads BPF in configure: without a sampler its options
// are still checked, and it probes binaries.
TEST(PluginCheck, BpfPluginOptionsCheckedAndBinariesProbed) {
  std::string python = std::filesystem::canonical("/usr/bin/python3").string();
  PluginCheckRequest request{kCpython, parsed("[runtime.cpython]\nenabled = true\n"),
                             {python, "/bin/true"}};
  PluginCheckReport report = check_plugin(request);
  EXPECT_TRUE(report.ok()) << describe(report);
  const PluginCheckStep* config = find_step(report, "config");
  ASSERT_NE(config, nullptr) << describe(report);
  EXPECT_NE(config->text.find("options accepted"), std::string::npos) << config->text;
  const PluginCheckStep* claimed = find_step(report, "probe " + python);
  ASSERT_NE(claimed, nullptr) << describe(report);
  EXPECT_EQ(claimed->text, "claimed");
  const PluginCheckStep* not_claimed = find_step(report, "probe /bin/true");
  ASSERT_NE(not_claimed, nullptr) << describe(report);
  EXPECT_EQ(not_claimed->text, "not claimed");

  request.config = parsed("[runtime.cpython]\nenabled = true\nmax_frames = 0\n");
  report = check_plugin(request);
  EXPECT_FALSE(report.ok()) << describe(report);
  config = find_step(report, "config");
  ASSERT_NE(config, nullptr);
  EXPECT_NE(config->text.find("max_frames"), std::string::npos) << config->text;
}

TEST(PluginCheck, ProbingWithASinkFails) {
  ember::test::ScratchDir scratch("ember-plugin-check");
  PluginCheckRequest request{kFilesSink,
                             parsed("[sink.files]\nenabled = true\ndirectory = \"" +
                                    scratch.file("profiles") + "\"\n"),
                             {"/bin/true"}};
  PluginCheckReport report = check_plugin(request);
  EXPECT_FALSE(report.ok());
  const PluginCheckStep* probe = find_step(report, "probe");
  ASSERT_NE(probe, nullptr) << describe(report);
  EXPECT_NE(probe->text.find("only runtime plugins"), std::string::npos);
}

}  // namespace
}  // namespace ember
