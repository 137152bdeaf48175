#include "plugin_host/plugin_loader.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <vector>

#include "plugin_host/plugin_file_trust.hpp"
#include "plugin_host/plugin_load_trial.hpp"
#include "scratch_dir.hpp"

namespace ember {
namespace {

using test::ScratchDir;

TEST(PluginLoader, LoadsARealPlugin) {
  LoadedLibrary library;
  Status status =
      load_plugin_library(std::string(EMBER_TEST_PLUGIN_DIR) + "/ember_sink_files.so", library);
  ASSERT_TRUE(status) << status.message();
  EXPECT_EQ(library.descriptor->type, PluginType::sink);
  EXPECT_STREQ(library.descriptor->name, "files");
}

TEST(PluginLoader, CorruptFileNamesItself) {
  ScratchDir dir("ember_corrupt_plugin");
  auto path = dir.path() / "ember_corrupt_plugin_test.so";
  std::ofstream(path) << "\x7f"
                         "ELF this is not a shared object";
  LoadedLibrary library;
  Status status = load_plugin_library(path.string(), library);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("plugin " + path.string() + ": cannot load:"), std::string::npos)
      << status.message();
}

std::filesystem::path copy_files_plugin(const std::filesystem::path& dir) {
  auto copy = dir / "ember_sink_files.so";
  std::filesystem::copy_file(std::string(EMBER_TEST_PLUGIN_DIR) + "/ember_sink_files.so", copy);
  std::filesystem::permissions(copy, std::filesystem::perms(0644));
  return copy;
}

const std::string kChecker = EMBER_TEST_PLUGIN_LOAD_CHECK;

Status load_files_plugin(const std::filesystem::path& path) {
  LoadedLibrary library;
  return load_enabled_plugin(path.string(), PluginType::sink, "files", library, kChecker);
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

TEST(PluginFiles, APluginIsFoundByItsFileNameAndOthersAreNotOpened) {
  ScratchDir first("ember_plugin_find_first");
  ScratchDir second("ember_plugin_find_second");
  std::ofstream(first.path() / "ember_runtime_broken.so") << "garbage";
  std::ofstream(first.path() / "unrelated.so") << "garbage";
  copy_files_plugin(second.path());
  const std::vector<std::string> dirs{first.path().string(), second.path().string()};
  EXPECT_EQ(find_plugin_file(dirs, PluginType::sink, "files"),
            (second.path() / "ember_sink_files.so").string());
  EXPECT_EQ(find_plugin_file(dirs, PluginType::runtime, "files"), "");
  EXPECT_EQ(plugin_names_in(dirs, PluginType::runtime), (std::vector<std::string>{"broken"}));
  EXPECT_EQ(plugin_names_in(dirs, PluginType::sink), (std::vector<std::string>{"files"}));
}

TEST(PluginFiles, AnEnabledPluginLoadsAfterItsTrial) {
  ScratchDir dir("ember_plugin_enabled_loads");
  Status status = load_files_plugin(copy_files_plugin(dir.path()));
  EXPECT_TRUE(status) << status.message();
}

TEST(PluginFiles, AFileNamedForAnotherPluginIsRefused) {
  ScratchDir dir("ember_plugin_misnamed");
  auto misnamed = dir.path() / "ember_sink_store.so";
  std::filesystem::rename(copy_files_plugin(dir.path()), misnamed);
  LoadedLibrary library;
  Status status =
      load_enabled_plugin(misnamed.string(), PluginType::sink, "store", library, kChecker);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("holds the sink plugin 'files', not the one its file name says"),
            std::string::npos)
      << status.message();
}

TEST(PluginFiles, ACorruptFileFailsInItsTrialNamingItself) {
  ScratchDir dir("ember_plugin_corrupt_trial");
  auto corrupt = dir.path() / "ember_sink_files.so";
  std::ofstream(corrupt) << "\x7f" "ELF this is not a shared object";
  std::filesystem::permissions(corrupt, std::filesystem::perms(0644));
  Status status = load_files_plugin(corrupt);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("plugin " + corrupt.string() + ": cannot load:"),
            std::string::npos)
      << status.message();
}

TEST(PluginFiles, ACrashWhileLoadingIsAnErrorNamingThePlugin) {
  ScratchDir dir("ember_plugin_crash_trial");
  auto crashing = dir.path() / "ember_sink_files.so";
  std::filesystem::copy_file(EMBER_TEST_CRASHING_PLUGIN, crashing);
  std::filesystem::permissions(crashing, std::filesystem::perms(0644));
  Status status = load_files_plugin(crashing);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("plugin " + crashing.string() +
                                  ": not loaded: it crashed while loading"),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("signal 6"), std::string::npos) << status.message();
}

// The trials run side by side: each child of this checker answers "ok" only
// once it has seen all three children start, so trials run one after the
// other would each answer that it ran alone.
TEST(PluginFiles, TrialsOfSeveralPluginsRunSideBySideAndTheirAnswersAreKept) {
  ScratchDir dir("ember_plugin_side_by_side");
  auto started = dir.path() / "started";
  std::filesystem::create_directory(started);
  auto checker = dir.path() / "checker.sh";
  std::ofstream(checker) << "#!/bin/sh\n"
                            "touch \"" << started.string() << "/$$\"\n"
                            "for i in $(seq 100); do\n"
                            "  if [ \"$(ls \"" << started.string() << "\" | wc -l)\" -ge 3 ]; then\n"
                            "    echo ok >&3; exit 0\n"
                            "  fi\n"
                            "  sleep 0.1\n"
                            "done\n"
                            "echo \"plugin $1: its trial ran alone\" >&3\n";
  std::filesystem::permissions(checker, std::filesystem::perms(0755));
  std::vector<std::string> plugins;
  for (const char* name : {"a", "b", "c"}) {
    auto sub = dir.path() / name;
    std::filesystem::create_directory(sub);
    plugins.push_back(copy_files_plugin(sub).string());
  }
  trial_load_plugins(plugins, checker.string());
  for (const std::string& plugin : plugins) {
    Status status = trial_load_plugin(plugin, checker.string());
    EXPECT_TRUE(status) << status.message();
  }
  std::size_t children = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(started)) ++children;
  EXPECT_EQ(children, 3u) << "an answer kept is not asked again";
}

TEST(PluginFiles, AMissingCheckerRefusesThePlugin) {
  ScratchDir dir("ember_plugin_no_checker");
  LoadedLibrary library;
  Status status = load_enabled_plugin(copy_files_plugin(dir.path()).string(), PluginType::sink,
                                      "files", library, "/nonexistent/ember-plugin-load-check");
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("cannot run the plugin load checker"), std::string::npos)
      << status.message();
}

TEST(PluginTrust, AWorldWritableDirectoryIsRefusedBeforeItsPluginRuns) {
  ScratchDir dir("ember_plugin_trust_dir");
  auto plugin = copy_files_plugin(dir.path());
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0777));
  Status status = load_files_plugin(plugin);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("plugin directory " + dir.path().string() +
                                  ": refused: writable by everyone (mode 0777)"),
            std::string::npos)
      << status.message();
}

TEST(PluginTrust, AWritableDirectoryAboveIsRefusedAStickyOneIsNot) {
  ScratchDir dir("ember_plugin_trust_above");
  auto plugins = dir.path() / "lib" / "plugins";
  std::filesystem::create_directories(plugins);
  auto plugin = copy_files_plugin(plugins);
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0777));
  Status status = check_plugin_file_chain_trusted(plugin.string());
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("directory " + dir.path().string() +
                                  ": refused: writable by everyone (mode 0777)"),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("(above plugin " + plugin.string() + ")"), std::string::npos)
      << status.message();
  // As /tmp: only an entry's owner may rename or remove it.
  std::filesystem::permissions(dir.path(), std::filesystem::perms(01777));
  status = check_plugin_file_chain_trusted(plugin.string());
  EXPECT_TRUE(status) << status.message();
  // Not for the plugin's own directory.
  std::filesystem::permissions(plugins, std::filesystem::perms(01777));
  EXPECT_FALSE(check_plugin_file_chain_trusted(plugin.string()));
}

TEST(PluginTrust, ASymlinkIsJudgedWhereItLeads) {
  ScratchDir dir("ember_plugin_trust_link");
  auto open = dir.path() / "open";
  std::filesystem::create_directories(open);
  auto plugin = copy_files_plugin(open);
  std::filesystem::permissions(open, std::filesystem::perms(0777));
  auto trusted = dir.path() / "trusted";
  std::filesystem::create_directories(trusted);
  std::filesystem::create_symlink(plugin, trusted / "ember_sink_files.so");
  Status status = check_plugin_file_chain_trusted((trusted / "ember_sink_files.so").string());
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("plugin directory " + open.string() + ": refused"),
            std::string::npos)
      << status.message();
}

TEST(PluginTrust, AGroupWritablePluginFileIsRefused) {
  ScratchDir dir("ember_plugin_trust_file");
  auto writable = copy_files_plugin(dir.path());
  std::filesystem::permissions(writable, std::filesystem::perms(0664));
  Status status = load_files_plugin(writable);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("plugin " + writable.string() +
                                  ": refused: writable by its group (mode 0664)"),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("chmod go-w"), std::string::npos) << status.message();
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
