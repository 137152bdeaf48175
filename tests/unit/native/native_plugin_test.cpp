#include "native_plugin.hpp"

#include <gtest/gtest.h>

#include <boost/dll/shared_library.hpp>

#include "ember/abi.hpp"
#include "ember/plugin.hpp"
#include "ember/testing/fake_host.hpp"

namespace ember::native {
namespace {

TEST(NativePlugin, DefaultsConfigure) {
  ember::testkit::FakeHost host;
  NativePlugin plugin;
  EXPECT_TRUE(plugin.configure({}, host).is_ok());
  EXPECT_EQ(plugin.name(), "native");
  EXPECT_TRUE(plugin.handles_every_process());
}

TEST(NativePlugin, KnownOptionsAreRead) {
  ember::testkit::FakeHost host;
  NativePlugin plugin;
  Options options{{"maps_refresh_interval_ms", {std::int64_t{100}, ""}},
                  {"max_cached_frames", {std::int64_t{1000}, ""}},
                  {"demangle", {false, ""}},
                  {"kallsyms_path", {std::string("/proc/kallsyms"), ""}}};
  Status status = plugin.configure(options, host);
  EXPECT_TRUE(status.is_ok()) << status.message();
}

TEST(NativePlugin, UnknownKeyIsAnError) {
  ember::testkit::FakeHost host;
  NativePlugin plugin;
  Status status = plugin.configure({{"bogus", {true, "ember.toml:12:1"}}}, host);
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("ember.toml:12:1: runtime.native.bogus: unknown key"),
            std::string::npos)
      << status.message();
}

TEST(NativePlugin, BadValuesAreErrors) {
  ember::testkit::FakeHost host;
  NativePlugin plugin;
  Status type = plugin.configure({{"maps_refresh_interval_ms", {std::string("fast"), ""}}}, host);
  EXPECT_FALSE(type.is_ok());
  EXPECT_NE(type.message().find("expected an integer"), std::string::npos) << type.message();
  Status range = plugin.configure({{"max_cached_frames", {std::int64_t{1}, ""}}}, host);
  EXPECT_FALSE(range.is_ok());
  EXPECT_NE(range.message().find("must be between"), std::string::npos) << range.message();
}

TEST(NativePlugin, NotConfiguredAttachesNothing) {
  NativePlugin plugin;
  EXPECT_EQ(plugin.attach(ProcessRef{1, "", "", nullptr}, nullptr), nullptr);
  std::vector<FrameHandle> frames;
  std::vector<__u64> addresses{0xffffffff81000000};
  plugin.symbolize_kernel(addresses, frames);  // no crash, no frames to trust
}

TEST(NativePlugin, ModuleExportsItsDescriptor) {
  boost::dll::shared_library library(EMBER_NATIVE_PLUGIN_PATH,
                                     boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  EXPECT_EQ(library.get_alias<const std::uint32_t>("ember_abi_version"), kAbiVersion);
  const auto& descriptor = library.get_alias<const PluginDescriptor>("ember_plugin");
  EXPECT_EQ(descriptor.type, PluginType::runtime);
  EXPECT_STREQ(descriptor.name, "native");
  ASSERT_NE(descriptor.create_runtime, nullptr);
  std::unique_ptr<RuntimePlugin> plugin(descriptor.create_runtime());
  ember::testkit::FakeHost host;
  EXPECT_TRUE(plugin->configure({}, host).is_ok());
  EXPECT_TRUE(plugin->handles_every_process());
  EXPECT_FALSE(library.has("_ZN5ember6native16ProcessSymbolizer9symbolizeEm"))
      << "plugin internals should not be exported";
}

}  // namespace
}  // namespace ember::native
