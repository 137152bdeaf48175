// The loader against plugins that declare other ABI versions and toolchains
// (abi_fixtures/, built with faked stamps), on a host that plays this build's major, minor 1.
#include <gtest/gtest.h>

#include "plugin_host/abi_check.hpp"
#include "plugin_host/plugin_loader.hpp"

namespace ember {
namespace {

std::string fixture(const std::string& name) {
  return std::string(EMBER_TEST_ABI_FIXTURE_DIR) + "/" + name + ".so";
}

AbiStamp host_minor_1() {
  AbiStamp host = this_build_abi_stamp();
  host.minor = 1;
  return host;
}

std::string refusal(const std::string& name, const AbiStamp& host = host_minor_1()) {
  LoadedLibrary library;
  Status status = load_plugin_library(fixture(name), library, host);
  EXPECT_FALSE(status) << name << " loaded";
  EXPECT_EQ(library.descriptor, nullptr);
  return status.message();
}

TEST(PluginAbi, OlderMinorLoadsOnNewerHost) {
  for (const char* name : {"abi_minor_0", "abi_minor_1"}) {
    LoadedLibrary library;
    Status status = load_plugin_library(fixture(name), library, host_minor_1());
    ASSERT_TRUE(status) << name << ": " << status.message();
    EXPECT_STREQ(library.descriptor->name, "abi_fixture");
    EXPECT_EQ(library.abi.minor, name == std::string("abi_minor_0") ? 0u : 1u);
  }
}

TEST(PluginAbi, NewerMinorIsRefused) {
  std::string message = refusal("abi_minor_2");
  std::string major = std::to_string(kAbiMajor);
  EXPECT_NE(message.find("plugin " + fixture("abi_minor_2") + ": built for ember plugin ABI version " +
                         major + ".2, this ember supports version " + major + ".1"),
            std::string::npos)
      << message;
}

TEST(PluginAbi, OldMajorIsRefusedBeforeItsDescriptorIsRead) {
  // abi_4 exports a descriptor of zeros: reading it would say "no name".
  std::string message = refusal("abi_4");
  EXPECT_NE(message.find("plugin " + fixture("abi_4") +
                         ": built for ember plugin ABI version 4, this ember supports version " +
                         std::to_string(kAbiMajor) + ".1"),
            std::string::npos)
      << message;
}

TEST(PluginAbi, CurrentMajorWithoutStampIsRefused) {
  std::string message = refusal("abi_major_without_stamp");
  EXPECT_NE(message.find("plugin " + fixture("abi_major_without_stamp") + ": exports "
                         "ember_abi_version " + std::to_string(kAbiMajor) +
                         " but no ember_abi_stamp"),
            std::string::npos)
      << message;
}

// Each fixture differs from this build in one field that must match.
TEST(PluginAbi, OtherFingerprintIsRefusedNamingBoth) {
  struct Case {
    const char* name;
    void (*fake)(AbiStamp&);
  };
  const Case cases[] = {
      {"abi_other_stdlib_abi", [](AbiStamp& s) { s.stdlib_abi = 1 - s.stdlib_abi; }},
      {"abi_other_stdlib_release", [](AbiStamp& s) { s.stdlib_release += 1; }},
      {"abi_other_boost", [](AbiStamp& s) { s.boost_version += 100; }},
  };
  AbiStamp host = host_minor_1();
  for (const Case& c : cases) {
    AbiStamp plugin = this_build_abi_stamp();
    c.fake(plugin);
    std::string message = refusal(c.name, host);
    EXPECT_NE(message.find("plugin " + fixture(c.name) + ": built with " +
                           abi_fingerprint_text(plugin) + ", this ember with " +
                           abi_fingerprint_text(host) + ": " +
                           abi_fingerprint_mismatch(plugin, host)),
              std::string::npos)
        << message;
  }
}

TEST(PluginAbi, OtherCompilerVersionLoads) {
  LoadedLibrary library;
  Status status = load_plugin_library(fixture("abi_other_compiler"), library, host_minor_1());
  ASSERT_TRUE(status) << status.message();
  EXPECT_EQ(library.abi.compiler_version, 990000u);
}

TEST(PluginAbi, RealPluginsCarryThisBuildsStamp) {
  LoadedLibrary library;
  Status status =
      load_plugin_library(std::string(EMBER_TEST_PLUGIN_DIR) + "/ember_sink_files.so", library);
  ASSERT_TRUE(status) << status.message();
  AbiStamp host = this_build_abi_stamp();
  EXPECT_EQ(library.abi.size, sizeof(AbiStamp));
  EXPECT_EQ(library.abi.minor, kAbiMinor);
  EXPECT_EQ(abi_fingerprint_text(library.abi), abi_fingerprint_text(host));
}

TEST(AbiFingerprint, TextNamesCompilerLibraryAndBoost) {
  AbiStamp stamp{sizeof(AbiStamp), 5, 0, AbiCompiler::gcc, 120200, AbiStdlib::libstdcxx, 12, 1,
                 107400};
  EXPECT_EQ(abi_fingerprint_text(stamp),
            "gcc 12.2.0, libstdc++ 12 (_GLIBCXX_USE_CXX11_ABI=1), Boost 1.74.0");
  stamp.compiler = AbiCompiler::clang;
  stamp.compiler_version = 160006;
  EXPECT_EQ(abi_fingerprint_text(stamp).substr(0, 13), "clang 16.0.6,");
}

TEST(AbiFingerprint, BoostPatchAndCompilerDoNotMatter) {
  AbiStamp host = this_build_abi_stamp();
  AbiStamp plugin = host;
  plugin.boost_version += 1;
  plugin.compiler = host.compiler == AbiCompiler::gcc ? AbiCompiler::clang : AbiCompiler::gcc;
  EXPECT_EQ(abi_fingerprint_mismatch(plugin, host), "");
  plugin.stdlib = AbiStdlib::libcxx;
  EXPECT_NE(abi_fingerprint_mismatch(plugin, host), "");
}

}  // namespace
}  // namespace ember
