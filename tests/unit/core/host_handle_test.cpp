#include "plugin_host/host_handle.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "logging.hpp"

namespace ember {
namespace {

// The maps shared_maps.bpf.h declares, which a plugin's BPF object binds.
std::set<std::string> maps_declared_for_plugins() {
  std::ifstream in(std::string(EMBER_TEST_SDK_INCLUDE_DIR) + "/ember/bpf/shared_maps.bpf.h");
  std::stringstream text;
  text << in.rdbuf();
  std::set<std::string> names;
  std::regex declaration(R"(\}\s*(\w+)\s+SEC\("\.maps"\))");
  std::string body = text.str();
  for (std::sregex_iterator it(body.begin(), body.end(), declaration), end; it != end; ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

TEST(HostHandle, SharesExactlyTheMapsPluginsDeclare) {
  std::set<std::string> declared = maps_declared_for_plugins();
  ASSERT_FALSE(declared.empty());
  std::set<std::string> listed(std::begin(kSharedBpfMaps), std::end(kSharedBpfMaps));
  EXPECT_EQ(listed, declared) << "kSharedBpfMaps (ember/host.hpp) and shared_maps.bpf.h differ";
  for (const std::string& name : declared) EXPECT_TRUE(is_shared_bpf_map(name)) << name;
  for (const char* name : {"ember_runtimes", "ember_events", "ember_scratch2", ""}) {
    EXPECT_FALSE(is_shared_bpf_map(name)) << name;
  }
}

TEST(HostHandle, RefusedMapIsLogged) {
  std::ostringstream log;
  auto logger = component_logger("runtime.host_handle_test");
  logger->sinks().push_back(std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  HostHandle host("runtime.host_handle_test", nullptr);
  EXPECT_EQ(host.bpf_map_fd("ember_runtimes"), -1);
  EXPECT_NE(log.str().find("'ember_runtimes', which is not shared with plugins"), std::string::npos)
      << log.str();
  log.str("");
  EXPECT_EQ(host.bpf_map_fd("ember_scratch"), -1);  // shared, but no sampler here
  EXPECT_EQ(log.str(), "");
}

TEST(HostHandle, UnwindRulesComeFromTheProcessTable) {
  HostHandle host("runtime.host_handle_test", nullptr);
  UnwindRule rule;
  EXPECT_FALSE(host.unwind_rule(7, 0x1000, rule)) << "no source yet";
  host.set_unwind_rule_source([](std::uint32_t pid, std::uint64_t pc, UnwindRule& found) {
    found.cfa_offset = 40;
    return pid == 7 && pc == 0x1000;
  });
  EXPECT_TRUE(host.unwind_rule(7, 0x1000, rule));
  EXPECT_EQ(rule.cfa_offset, 40);
  EXPECT_FALSE(host.unwind_rule(8, 0x1000, rule));
}

}  // namespace
}  // namespace ember
