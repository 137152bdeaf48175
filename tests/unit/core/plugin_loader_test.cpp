#include "plugin_host/plugin_loader.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "plugin_host/plugin_file_trust.hpp"

namespace ember {
namespace {

TEST(PluginLoader, LoadsARealPlugin) {
  LoadedLibrary library;
  Status status =
      load_plugin_library(std::string(EMBER_TEST_PLUGIN_DIR) + "/ember_sink_files.so", library);
  ASSERT_TRUE(status) << status.message();
  EXPECT_EQ(library.descriptor->type, PluginType::sink);
  EXPECT_STREQ(library.descriptor->name, "files");
}

TEST(PluginLoader, CorruptFileNamesItself) {
  auto path = std::filesystem::temp_directory_path() / "ember_corrupt_plugin_test.so";
  std::ofstream(path) << "\x7f"
                         "ELF this is not a shared object";
  LoadedLibrary library;
  Status status = load_plugin_library(path.string(), library);
  std::filesystem::remove(path);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("plugin " + path.string() + ": cannot load:"), std::string::npos)
      << status.message();
}

TEST(PluginLoader, DirectoryScanReportsBadFilesAndKeepsGoodOnes) {
  auto dir = std::filesystem::temp_directory_path() / "ember_plugin_dir_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "broken.so") << "garbage";
  std::vector<std::string> errors;
  auto loaded = load_plugin_directories({dir.string(), EMBER_TEST_PLUGIN_DIR}, errors);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("broken.so: cannot load"), std::string::npos) << errors[0];
  bool files = false;
  for (const auto& library : loaded) files |= std::string(library.descriptor->name) == "files";
  EXPECT_TRUE(files);
}

TEST(PluginLoader, MissingDirectoryIsAnError) {
  std::vector<std::string> errors;
  auto loaded = load_plugin_directories({"/nonexistent/ember/plugins"}, errors);
  EXPECT_TRUE(loaded.empty());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("/nonexistent/ember/plugins"), std::string::npos);
}

// A scratch directory for one test, removed after it.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / name) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
    std::filesystem::permissions(path_, std::filesystem::perms(0755));
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::filesystem::path copy_files_plugin(const std::filesystem::path& dir) {
  auto copy = dir / "ember_sink_files.so";
  std::filesystem::copy_file(std::string(EMBER_TEST_PLUGIN_DIR) + "/ember_sink_files.so", copy);
  std::filesystem::permissions(copy, std::filesystem::perms(0644));
  return copy;
}

bool loads_files_plugin(const std::vector<LoadedLibrary>& loaded) {
  for (const auto& library : loaded) {
    if (std::string(library.descriptor->name) == "files") return true;
  }
  return false;
}

TEST(PluginDirectories, BuiltInFirstThenConfiguredOnesAdded) {
  EXPECT_EQ(plugin_directories({"/opt/a", "/opt/b"}, "/usr/lib/ember/plugins"),
            (std::vector<std::string>{"/usr/lib/ember/plugins", "/opt/a", "/opt/b"}));
  EXPECT_EQ(plugin_directories({}, "/usr/lib/ember/plugins"),
            (std::vector<std::string>{"/usr/lib/ember/plugins"}));
}

TEST(PluginDirectories, TheSameDirectoryTwiceIsSearchedOnce) {
  ScratchDir dir("ember_plugin_dirs_same");
  std::filesystem::create_directories(dir.path() / "plugins");
  std::filesystem::create_directory_symlink(dir.path() / "plugins", dir.path() / "link");
  const std::string built_in = (dir.path() / "plugins").string();
  EXPECT_EQ(plugin_directories({built_in + "/", (dir.path() / "link").string(), "/opt/a",
                                "/opt/a/."},
                               built_in),
            (std::vector<std::string>{built_in, "/opt/a"}));
}

TEST(PluginTrust, AWorldWritableDirectoryIsRefusedAndNothingInItLoads) {
  ScratchDir dir("ember_plugin_trust_dir");
  copy_files_plugin(dir.path());
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0777));
  std::vector<std::string> errors;
  auto loaded = load_plugin_directories({dir.path().string()}, errors);
  EXPECT_FALSE(loads_files_plugin(loaded));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("plugin directory " + dir.path().string() +
                           ": refused: writable by everyone (mode 0777)"),
            std::string::npos)
      << errors[0];
}

TEST(PluginTrust, AGroupWritablePluginFileIsRefusedItsNeighboursLoad) {
  ScratchDir dir("ember_plugin_trust_file");
  copy_files_plugin(dir.path());
  auto writable = dir.path() / "other.so";
  std::filesystem::copy_file(std::string(EMBER_TEST_PLUGIN_DIR) + "/ember_sink_store.so",
                             writable);
  std::filesystem::permissions(writable, std::filesystem::perms(0664));
  std::vector<std::string> errors;
  auto loaded = load_plugin_directories({dir.path().string()}, errors);
  EXPECT_TRUE(loads_files_plugin(loaded));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("plugin " + writable.string() +
                           ": refused: writable by its group (mode 0664)"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[0].find("chmod go-w"), std::string::npos) << errors[0];
}

TEST(PluginTrust, APluginOwnedBySomeoneElseIsRefused) {
  if (::geteuid() != 0) {
    if (std::getenv("CI")) FAIL() << "needs root to give a file to another user";
    GTEST_SKIP() << "needs root to give a file to another user (CI runs it as root)";
  }
  ScratchDir dir("ember_plugin_trust_owner");
  auto plugin = copy_files_plugin(dir.path());
  ASSERT_EQ(::chown(plugin.c_str(), 65534, 65534), 0);
  Status status = check_plugin_path_trusted(plugin.string(), "plugin");
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("refused: owned by uid 65534"), std::string::npos)
      << status.message();
  ASSERT_EQ(::chown(plugin.c_str(), 0, 0), 0);
  EXPECT_TRUE(check_plugin_path_trusted(plugin.string(), "plugin"));
}

}  // namespace
}  // namespace ember
