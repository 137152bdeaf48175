#include "files_sink.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "collapsed_writer.hpp"
#include "ember/plugin.hpp"
#include "ember/testing/fake_host.hpp"
#include "mini_json.hpp"
#include "output_file.hpp"
#include "runtime_view.hpp"
#include "sample_windows.hpp"
#include "scratch_dir.hpp"
#include "utc_time.hpp"
#include "window_merger.hpp"

namespace ember::files {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> list_dir(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

Option opt(OptionValue value, std::string where = "") { return Option{std::move(value), where}; }

class FilesSinkTest : public ::testing::Test {
 protected:
  Status configure(FilesSink& sink, Options options) { return sink.configure(options, host_); }

  ember::test::ScratchDir scratch_{"ember-files-test"};
  fs::path dir_ = scratch_.path();
  testkit::FakeHost host_;
};

TEST_F(FilesSinkTest, PathModeMergesEveryWindowAtClose) {
  FilesSink sink;
  fs::path out = dir_ / "profile.folded";
  ASSERT_TRUE(configure(sink, {{"path", opt(out.string())}}));
  ASSERT_TRUE(sink.on_window(test::sample_window()));
  ASSERT_TRUE(sink.on_window(test::later_window()));
  EXPECT_FALSE(fs::exists(out));  // written once, at close
  ASSERT_TRUE(sink.close());
  EXPECT_EQ(read_file(out),
            "nginx;main;weird_name_x 1\n"
            "python3;main;handler 15\n"
            "python3;main;handler;do_sys_open_[k] 2\n"
            "python3;main;idle 1\n");
  EXPECT_EQ(list_dir(dir_), (std::vector<std::string>{"profile.folded"}));  // no temp left
}

// What a folded file's lines count, summed.
std::uint64_t counted(const std::string& folded) {
  std::uint64_t total = 0;
  std::istringstream lines(folded);
  for (std::string line; std::getline(lines, line);) {
    total += std::stoull(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

TEST_F(FilesSinkTest, PathModeFoldedIsTheMergedRunInEitherViewWithEverySample) {
  for (unsigned seed = 1; seed <= 8; ++seed) {
    const std::vector<Window> windows = test::churn_windows(seed, 12);
    std::uint64_t total = 0;
    for (const Window& w : windows) total += w.total_samples();
    const Window merged = formats::merge_windows(windows);
    for (std::string view : {"runtime", "native"}) {
      FilesSink sink;
      fs::path out = dir_ / (view + std::to_string(seed) + ".folded");
      ASSERT_TRUE(configure(sink, {{"path", opt(out.string())}, {"view", opt(view)}}));
      for (const Window& w : windows) ASSERT_TRUE(sink.on_window(w));
      ASSERT_TRUE(sink.close());
      const std::string folded = read_file(out);
      const Window shown = view == "native" ? merged : report::runtime_view(merged).window;
      EXPECT_EQ(folded, formats::collapsed_text(shown)) << view << " seed " << seed;
      EXPECT_EQ(counted(folded), total) << view << " seed " << seed;
      EXPECT_EQ(host_.count(LogLevel::info, "wrote " + std::to_string(total) + " samples to " +
                                                out.string()),
                1u);
    }
  }
}

TEST_F(FilesSinkTest, PathModeThreadFrames) {
  FilesSink sink;
  fs::path out = dir_ / "sub" / "p.collapsed";  // parent created
  ASSERT_TRUE(configure(sink, {{"path", opt(out.string())}, {"thread_frames", opt(true)}}));
  ASSERT_TRUE(sink.on_window(test::later_window()));
  ASSERT_TRUE(sink.close());
  EXPECT_EQ(read_file(out),
            "python3;python3/100;main;handler 7\npython3;python3/100;main;idle 1\n");
}

TEST_F(FilesSinkTest, PathModeSpeedscopeSpansAllWindows) {
  FilesSink sink;
  fs::path out = dir_ / "run.speedscope.json";
  ASSERT_TRUE(configure(sink, {{"path", opt(out.string())}}));
  ASSERT_TRUE(sink.on_window(test::sample_window()));
  ASSERT_TRUE(sink.on_window(test::later_window()));
  ASSERT_TRUE(sink.close());
  test::Json doc = test::JsonParser::parse(read_file(out));
  EXPECT_EQ(doc["name"].text, "run.speedscope.json");
  EXPECT_EQ(doc["ember"]["start_ns"].text, "1795633512000000000");
  EXPECT_EQ(doc["ember"]["end_ns"].text, "1795633632000000000");
  EXPECT_EQ(doc["ember"]["lost_samples"].number, 5);
  EXPECT_EQ(doc["profiles"][0]["endValue"].number, 5 + 8);  // pid 100 / tid 100
}

TEST_F(FilesSinkTest, PathModeWithoutWindowsWritesAnEmptyProfile) {
  FilesSink sink;
  fs::path out = dir_ / "empty.json";
  ASSERT_TRUE(configure(sink, {{"path", opt(out.string())}}));
  ASSERT_TRUE(sink.close());
  ASSERT_TRUE(sink.close());  // a second close is harmless
  EXPECT_EQ(test::JsonParser::parse(read_file(out))["profiles"].size(), 0u);
}

TEST_F(FilesSinkTest, DirectoryModeWritesOneFilePerWindowPerFormat) {
  FilesSink sink;
  fs::path out = dir_ / "profiles";  // created if missing
  ASSERT_TRUE(
      configure(sink, {{"directory", opt(out.string())},
                       {"formats", opt(std::vector<std::string>{"folded", "speedscope"})}}));
  EXPECT_TRUE(fs::is_directory(out));
  ASSERT_TRUE(sink.on_window(test::sample_window()));
  ASSERT_TRUE(sink.on_window(test::later_window()));
  Window same_second = test::later_window();
  same_second.start_ns += 500'000'000;
  ASSERT_TRUE(sink.on_window(same_second));
  ASSERT_TRUE(sink.close());
  EXPECT_EQ(list_dir(out), (std::vector<std::string>{
                               "ember-20261125T190512Z.folded",
                               "ember-20261125T190512Z.speedscope.json",
                               "ember-20261125T190612Z-2.folded",
                               "ember-20261125T190612Z-2.speedscope.json",
                               "ember-20261125T190612Z.folded",
                               "ember-20261125T190612Z.speedscope.json",
                           }));
  EXPECT_EQ(read_file(out / "ember-20261125T190612Z.folded"),
            "python3;main;handler 7\npython3;main;idle 1\n");
  test::Json doc =
      test::JsonParser::parse(read_file(out / "ember-20261125T190512Z.speedscope.json"));
  EXPECT_EQ(doc["profiles"].size(), 4u);
}

TEST_F(FilesSinkTest, DirectoryModeWritesPprofAndSvg) {
  FilesSink sink;
  ASSERT_TRUE(configure(sink, {{"directory", opt(dir_.string())},
                               {"formats", opt(std::vector<std::string>{"pprof", "svg"})}}));
  ASSERT_TRUE(sink.on_window(test::later_window()));
  EXPECT_EQ(list_dir(dir_), (std::vector<std::string>{"ember-20261125T190612Z.pb.gz",
                                                      "ember-20261125T190612Z.svg"}));
  std::string pprof = read_file(dir_ / "ember-20261125T190612Z.pb.gz");
  ASSERT_GE(pprof.size(), 2u);
  EXPECT_EQ(pprof.substr(0, 2), "\x1f\x8b");  // gzip magic
  std::string svg = read_file(dir_ / "ember-20261125T190612Z.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("data-n=\"handler\""), std::string::npos);
}

TEST_F(FilesSinkTest, PathModeFormatFollowsPprofAndSvgExtensions) {
  for (const char* name : {"run.pb.gz", "run.pprof", "run.svg"}) {
    FilesSink sink;
    fs::path out = dir_ / name;
    ASSERT_TRUE(configure(sink, {{"path", opt(out.string())}}));
    ASSERT_TRUE(sink.on_window(test::later_window()));
    ASSERT_TRUE(sink.close());
    std::string text = read_file(out);
    bool svg = out.extension() == ".svg";
    EXPECT_EQ(text.rfind(svg ? "<?xml" : "\x1f\x8b", 0), 0u) << name;
  }
}

TEST_F(FilesSinkTest, DirectoryModeDefaultsToBothFormats) {
  FilesSink sink;
  ASSERT_TRUE(configure(sink, {{"directory", opt(dir_.string())}}));
  ASSERT_TRUE(sink.on_window(test::later_window()));
  EXPECT_EQ(list_dir(dir_), (std::vector<std::string>{"ember-20261125T190612Z.folded",
                                                      "ember-20261125T190612Z.speedscope.json"}));
}

std::uintmax_t profile_bytes(const fs::path& dir) {
  std::uintmax_t total = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().starts_with("ember-")) total += entry.file_size();
  }
  return total;
}

TEST_F(FilesSinkTest, DirectoryModeKeepsItsProfilesUnderMaxSize) {
  FilesSink sink;
  ASSERT_TRUE(configure(sink, {{"directory", opt(dir_.string())},
                               {"formats", opt(std::vector<std::string>{"folded"})},
                               {"max_size", opt(std::string("3000B"))}}));
  std::ofstream(dir_ / "notes.txt") << std::string(5000, 'x');  // not the sink's
  Window window = test::later_window();
  std::uintmax_t one_window = 0;
  for (int minute = 0; minute < 100; ++minute) {
    window.start_ns += 60'000'000'000;
    window.end_ns += 60'000'000'000;
    ASSERT_TRUE(sink.on_window(window));
    if (minute == 0) one_window = profile_bytes(dir_);
  }
  ASSERT_GT(one_window, 0u);
  ASSERT_LT(one_window * 4, 3000u) << "the test wants room for a few windows";
  EXPECT_LE(profile_bytes(dir_), 3000u);
  EXPECT_GT(profile_bytes(dir_), 3000u - 2 * one_window) << "kept what fits";
  std::vector<std::string> names = list_dir(dir_);
  EXPECT_EQ(names.back(), "notes.txt");
  EXPECT_EQ(names[names.size() - 2], "ember-" + formats::utc_compact(window.start_ns) + ".folded")
      << "the newest window stays";
  EXPECT_EQ(fs::file_size(dir_ / "notes.txt"), 5000u);
}

TEST_F(FilesSinkTest, DirectoryModeRemovesProfilesOlderThanMaxAge) {
  FilesSink sink;
  ASSERT_TRUE(configure(sink, {{"directory", opt(dir_.string())},
                               {"formats", opt(std::vector<std::string>{"folded"})},
                               {"max_age", opt(std::string("1d"))}}));
  const auto two_days_ago = fs::file_time_type::clock::now() - std::chrono::hours(48);
  for (const char* name : {"ember-20200101T000000Z.folded", "old-notes.txt"}) {
    std::ofstream(dir_ / name) << "old";
    fs::last_write_time(dir_ / name, two_days_ago);
  }
  std::ofstream(dir_ / "ember-20200102T000000Z.folded") << "recent";  // written now
  ASSERT_TRUE(sink.on_window(test::later_window()));
  EXPECT_EQ(list_dir(dir_),
            (std::vector<std::string>{"ember-20200102T000000Z.folded",
                                      "ember-20261125T190612Z.folded", "old-notes.txt"}));
}

TEST_F(FilesSinkTest, RetentionValuesAreCheckedAndApplyToDirectoryOnly) {
  FilesSink sink;
  Status bad_age = configure(sink, {{"directory", opt(dir_.string())},
                                    {"max_age", opt(std::string("a week"), "ember.toml:9:1")}});
  EXPECT_FALSE(bad_age);
  EXPECT_NE(bad_age.message().find("max_age"), std::string::npos) << bad_age.message();
  EXPECT_NE(bad_age.message().find("\"a week\" is not an age"), std::string::npos)
      << bad_age.message();
  Status bad_size =
      configure(sink, {{"directory", opt(dir_.string())}, {"max_size", opt(std::string("lots"))}});
  EXPECT_FALSE(bad_size);
  EXPECT_NE(bad_size.message().find("\"lots\" is not a size"), std::string::npos)
      << bad_size.message();
  Status with_path = configure(sink, {{"path", opt((dir_ / "run.folded").string())},
                                      {"max_size", opt(std::string("1GiB"))}});
  EXPECT_FALSE(with_path);
  EXPECT_NE(with_path.message().find("applies to directory only"), std::string::npos)
      << with_path.message();
}

TEST_F(FilesSinkTest, DirectoryModeRecreatesARemovedDirectory) {
  FilesSink sink;
  fs::path out = dir_ / "p";
  ASSERT_TRUE(configure(sink, {{"directory", opt(out.string())},
                               {"formats", opt(std::vector<std::string>{"folded"})}}));
  fs::remove_all(out);
  ASSERT_TRUE(sink.on_window(test::later_window()));
  EXPECT_EQ(list_dir(out), (std::vector<std::string>{"ember-20261125T190612Z.folded"}));
}

TEST_F(FilesSinkTest, BadExtensionListsTheAcceptedOnes) {
  FilesSink sink;
  Status status = configure(sink, {{"path", opt("out.txt", "ember.toml:9:1")}});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message(),
            "ember.toml:9:1: sink.files.path: cannot tell the format of \"out.txt\" from its "
            "extension; use .folded or .collapsed (collapsed stacks), .speedscope.json or .json "
            "(speedscope), .pb.gz or .pprof (pprof), .svg (flame graph)");
}

TEST_F(FilesSinkTest, PathAndDirectoryTogetherIsAnError) {
  FilesSink sink;
  Status status = configure(
      sink, {{"path", opt("a.folded")}, {"directory", opt(dir_.string(), "ember.toml:4:1")}});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message(),
            "ember.toml:4:1: sink.files.directory: cannot be used together with path: use path "
            "for one merged file, or directory for one file per window");
}

TEST_F(FilesSinkTest, NeitherPathNorDirectoryIsAnError) {
  FilesSink sink;
  Status status = configure(sink, {});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message().rfind("sink.files.directory: not set", 0), 0u) << status.message();
}

TEST_F(FilesSinkTest, FormatsWithPathIsAnError) {
  FilesSink sink;
  Status status = configure(
      sink, {{"path", opt("a.folded")}, {"formats", opt(std::vector<std::string>{"folded"})}});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message().rfind("sink.files.formats: applies to directory only", 0), 0u)
      << status.message();
}

TEST_F(FilesSinkTest, UnknownFormatAndUnknownKeyAndWrongType) {
  FilesSink a;
  Status status = configure(
      a, {{"directory", opt(dir_.string())}, {"formats", opt(std::vector<std::string>{"png"})}});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message(),
            "sink.files.formats: unknown format \"png\"; accepted: folded (or collapsed), "
            "speedscope, pprof, svg");

  FilesSink b;
  status =
      configure(b, {{"directory", opt(dir_.string())}, {"dirctory", opt("x", "ember.toml:7:1")}});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message(), "ember.toml:7:1: sink.files.dirctory: unknown key");

  FilesSink c;
  status = configure(c, {{"directory", opt(dir_.string())}, {"thread_frames", opt("yes")}});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message(), "sink.files.thread_frames: expected true or false");
}

// A Python handler whose builtin runs in the interpreter's own code.
Window python_window() {
  auto frame = [](std::string module, std::string name, std::string kind) {
    Frame f;
    f.name = std::move(name);
    f.module = std::move(module);
    f.kind = std::move(kind);
    return f;
  };
  Window w;
  w.start_ns = 1;
  w.end_ns = 2;
  w.frequency_hz = 99;
  w.frames = {frame("python3.11", "Py_BytesMain", frame_kind::native),
              frame("server.py", "handle", frame_kind::python),
              frame("python3.11", "builtin_max", frame_kind::native),
              frame("python3.11", "python3.11+0x5a22d4", frame_kind::native)};
  w.stacks = {{0, 1, 2}, {0, 1, 3}};
  w.samples = {{0, 7, 7, 6}, {1, 7, 7, 4}};
  ProcessInfo process;
  process.pid = 7;
  process.comm = "python3";
  w.processes = {process};
  w.threads = {{7, 7, "python3"}};
  return w;
}

TEST_F(FilesSinkTest, RuntimeViewByDefaultNativeOnRequest) {
  FilesSink runtime;
  fs::path folded = dir_ / "runtime.folded";
  ASSERT_TRUE(configure(runtime, {{"path", opt(folded.string())}}));
  ASSERT_TRUE(runtime.on_window(python_window()));
  ASSERT_TRUE(runtime.close());
  EXPECT_EQ(read_file(folded), "python3;Py_BytesMain;handle 10\n");

  FilesSink native;
  fs::path all = dir_ / "native.folded";
  ASSERT_TRUE(configure(native, {{"path", opt(all.string())}, {"view", opt("native")}}));
  ASSERT_TRUE(native.on_window(python_window()));
  ASSERT_TRUE(native.close());
  EXPECT_EQ(read_file(all),
            "python3;Py_BytesMain;handle;builtin_max 6\n"
            "python3;Py_BytesMain;handle;python3.11+0x5a22d4 4\n");

  FilesSink bad;
  Status status = configure(bad, {{"path", opt(folded.string())}, {"view", opt("py-spy", "x:3:1")}});
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("x:3:1: sink.files.view: expected \"runtime\""),
            std::string::npos)
      << status.message();
}

TEST_F(FilesSinkTest, UncreatableDirectoryIsAConfigureError) {
  fs::path file = dir_ / "a-file";
  std::ofstream(file) << "x";
  FilesSink sink;
  Status status = configure(sink, {{"directory", opt((file / "sub").string())}});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message().rfind(
                "sink.files: cannot create directory " + (file / "sub").string() + ": ", 0),
            0u)
      << status.message();
}

TEST_F(FilesSinkTest, WriteFailureNamesThePathAndErrno) {
  Status status = formats::write_file_atomically((dir_ / "missing" / "x.folded").string(), "x");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message(), "cannot write " + (dir_ / "missing" / "x.folded").string() +
                                  ": No such file or directory");
}

TEST_F(FilesSinkTest, CloseReportsAFailedWrite) {
  FilesSink sink;
  fs::path out = dir_ / "blocked" / "p.folded";
  ASSERT_TRUE(configure(sink, {{"path", opt(out.string())}}));
  fs::remove_all(dir_ / "blocked");  // configure made it; something replaced it since
  std::ofstream(dir_ / "blocked") << "a file where the directory should be";
  ASSERT_TRUE(sink.on_window(test::later_window()));
  Status status = sink.close();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message().rfind(
                "sink.files: cannot create directory " + (dir_ / "blocked").string(), 0),
            0u)
      << status.message();
}

TEST_F(FilesSinkTest, UnwritableDestinationFailsAtConfigureNotAtTheEnd) {
  FilesSink sink;
  Status status = configure(sink, {{"path", opt("/proc/ember-test.folded")}});
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("cannot write in /proc"), std::string::npos) << status.message();
}

// The shipped .so exports what the host looks for.
TEST(FilesSinkPluginTest, SharedObjectRegistersASinkNamedFiles) {
  void* handle = dlopen(EMBER_SINK_FILES_SO, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  // Boost.DLL aliases are pointers to the aliased object.
  auto* abi = static_cast<const void* const*>(dlsym(handle, "ember_abi_version"));
  auto* descriptor = static_cast<const void* const*>(dlsym(handle, "ember_plugin"));
  ASSERT_NE(abi, nullptr);
  ASSERT_NE(descriptor, nullptr);
  EXPECT_EQ(*static_cast<const std::uint32_t*>(*abi), kAbiVersion);
  const auto* plugin = static_cast<const PluginDescriptor*>(*descriptor);
  EXPECT_EQ(plugin->type, PluginType::sink);
  EXPECT_STREQ(plugin->name, "files");
  ASSERT_NE(plugin->create_sink, nullptr);
  SinkPlugin* sink = plugin->create_sink();
  EXPECT_EQ(sink->name(), "files");
  delete sink;
  dlclose(handle);
}

}  // namespace
}  // namespace ember::files
