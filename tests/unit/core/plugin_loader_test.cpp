#include "plugin_host/plugin_loader.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

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

}  // namespace
}  // namespace ember
