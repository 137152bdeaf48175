#include "config.hpp"

#include <grp.h>
#include <gtest/gtest.h>

#include <string>

namespace ember {
namespace {

// Parses `text` as "ember.toml"; returns the error message ("" when ok).
std::string parse_error(const std::string& text, Config* out = nullptr) {
  Config config;
  Status status = parse_config(text, "ember.toml", config);
  if (out) *out = config;
  return status.is_ok() ? std::string() : status.message();
}

TEST(ConfigTest, EmptyTextGivesDefaults) {
  Config config;
  ASSERT_EQ(parse_error("", &config), "");
  EXPECT_EQ(config.source, "ember.toml");
  EXPECT_EQ(config.frequency_hz, 99u);
  EXPECT_EQ(config.window_seconds, 60u);
  EXPECT_EQ(config.max_window_mb, 1u);
  EXPECT_EQ(config.ring_buffer_kib, 1024u);
  EXPECT_EQ(config.log_level, "info");
  EXPECT_EQ(config.event, "cpu-clock");
  EXPECT_TRUE(config.runtimes.empty());
  EXPECT_TRUE(config.sinks.empty());
}

TEST(ConfigTest, ReadsEverySection) {
  Config config;
  ASSERT_EQ(parse_error(R"(
[agent]
plugin_dirs = ["/opt/ember/plugins", "/usr/lib/ember"]
log_level = "debug"
window_seconds = 10
max_window_mb = 0

[sampler]
event = "cycles"
frequency_hz = 999
ring_buffer_kib = 64

[processes]
pids = [1, 4194304]
include = ["^python", "java$"]
exclude = ["^ember$"]
)",
                        &config),
            "");
  EXPECT_EQ(config.plugin_dirs, (std::vector<std::string>{"/opt/ember/plugins", "/usr/lib/ember"}));
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.window_seconds, 10u);
  EXPECT_EQ(config.max_window_mb, 0u);
  EXPECT_EQ(config.event, "cycles");
  EXPECT_EQ(config.frequency_hz, 999u);
  EXPECT_EQ(config.ring_buffer_kib, 64u);
  EXPECT_EQ(config.pids, (std::vector<std::uint32_t>{1, 4194304}));
  EXPECT_EQ(config.include, (std::vector<std::string>{"^python", "java$"}));
  EXPECT_EQ(config.exclude, (std::vector<std::string>{"^ember$"}));
}

TEST(ConfigTest, UnknownKeyNamesFileLineColumnAndKey) {
  EXPECT_EQ(parse_error("[sampler]\nfrequency_hz = 99\n  frequncy = 3\n"),
            "ember.toml:3:3: sampler.frequncy: unknown key");
}

TEST(ConfigTest, UnknownSectionIsAnError) {
  EXPECT_EQ(parse_error("[agent]\n[samplr]\nfrequency_hz = 1\n"),
            "ember.toml:2:2: samplr: unknown key");
}

TEST(ConfigTest, OutOfRangeValue) {
  EXPECT_EQ(parse_error("[sampler]\n\nfrequency_hz = 0\n"),
            "ember.toml:3:1: sampler.frequency_hz: must be between 1 and 10000, got 0");
  EXPECT_EQ(parse_error("[agent]\nwindow_seconds = 3601\n"),
            "ember.toml:2:1: agent.window_seconds: must be between 1 and 3600, got 3601");
  EXPECT_EQ(parse_error("[agent]\nmax_window_mb = 4097\n"),
            "ember.toml:2:1: agent.max_window_mb: must be between 0 and 4096, got 4097");
}

TEST(ConfigTest, WrongType) {
  EXPECT_EQ(parse_error("[sampler]\nfrequency_hz = \"99\"\n"),
            "ember.toml:2:1: sampler.frequency_hz: expected an integer, got a string");
  EXPECT_EQ(parse_error("[agent]\nplugin_dirs = \"/opt\"\n"),
            "ember.toml:2:1: agent.plugin_dirs: expected an array of strings, got a string");
  EXPECT_EQ(parse_error("[agent]\nplugin_dirs = [\"/opt\", 3]\n"),
            "ember.toml:2:24: agent.plugin_dirs: expected an array of strings, found an integer");
  EXPECT_EQ(parse_error("sampler = 3\n"),
            "ember.toml:1:1: sampler: expected a table ([sampler]), got an integer");
  EXPECT_EQ(parse_error("[runtime]\nnative = true\n"),
            "ember.toml:2:1: runtime.native: expected a table ([runtime.native]), got a boolean");
  EXPECT_EQ(parse_error("[sink.files]\nenabled = \"yes\"\n"),
            "ember.toml:2:1: sink.files.enabled: expected true or false, got a string");
}

TEST(ConfigTest, GroupIsLookedUpOnThisHost) {
  Config config;
  ASSERT_EQ(parse_error("[agent]\ngroup = \"root\"\n", &config), "");
  EXPECT_EQ(config.group, "root");
  EXPECT_EQ(config.group_id, 0u);
  ASSERT_EQ(parse_error("[agent]\ngroup = \"nogroup\"\n", &config), "");
  ASSERT_NE(getgrnam("nogroup"), nullptr);
  EXPECT_EQ(config.group_id, getgrnam("nogroup")->gr_gid);
  EXPECT_EQ(parse_error("[agent]\nlog_level = \"info\"\ngroup = \"no-such-group-here\"\n"),
            "ember.toml:3:1: agent.group: no group named \"no-such-group-here\" on this host");
  ASSERT_EQ(parse_error("", &config), "");
  EXPECT_EQ(config.group, "");
}

TEST(ConfigTest, RingBufferMustBeAPowerOfTwo) {
  EXPECT_EQ(parse_error("[sampler]\nring_buffer_kib = 100\n"),
            "ember.toml:2:1: sampler.ring_buffer_kib: must be a power of two (64, 128, ... "
            "1048576), got 100");
  EXPECT_EQ(parse_error("[sampler]\nring_buffer_kib = 32\n"),
            "ember.toml:2:1: sampler.ring_buffer_kib: must be between 64 and 1048576, got 32");
}

TEST(ConfigTest, LogLevelAndEventFromFixedSets) {
  EXPECT_EQ(parse_error("[agent]\nlog_level = \"verbose\"\n"),
            "ember.toml:2:1: agent.log_level: must be one of trace, debug, info, warn, error, "
            "off, got \"verbose\"");
  EXPECT_EQ(parse_error("[sampler]\nevent = \"instructions\"\n"),
            "ember.toml:2:1: sampler.event: must be \"cpu-clock\" or \"cycles\", got "
            "\"instructions\"");
}

TEST(ConfigTest, MetricsIntervalAndLogFormat) {
  Config config;
  ASSERT_EQ(parse_error("", &config), "");
  EXPECT_EQ(config.metrics_interval_ms, 1000u);
  EXPECT_EQ(config.log_format, "text");
  ASSERT_EQ(parse_error("[agent]\nmetrics_interval_ms = 0\nlog_format = \"json\"\n", &config), "");
  EXPECT_EQ(config.metrics_interval_ms, 0u);
  EXPECT_EQ(config.log_format, "json");
  EXPECT_EQ(parse_error("[agent]\nmetrics_interval_ms = 50\n"),
            "ember.toml:2:1: agent.metrics_interval_ms: must be 0 (no metrics) or between 100 "
            "and 3600000, got 50");
  EXPECT_EQ(parse_error("[agent]\nlog_format = \"xml\"\n"),
            "ember.toml:2:1: agent.log_format: must be \"text\" or \"json\", got \"xml\"");
  EXPECT_EQ(config.priority, "realtime");
  ASSERT_EQ(parse_error("[agent]\npriority = \"high\"\n", &config), "");
  EXPECT_EQ(config.priority, "high");
  EXPECT_EQ(parse_error("[agent]\npriority = \"nice\"\n"),
            "ember.toml:2:1: agent.priority: must be \"realtime\", \"high\" or \"normal\", got "
            "\"nice\"");
}

TEST(ConfigTest, ServiceRulesAndContainers) {
  Config config;
  ASSERT_EQ(parse_error("", &config), "");
  EXPECT_EQ(config.container_state_root, "/");
  EXPECT_TRUE(config.services.empty());
  ASSERT_EQ(parse_error(R"([containers]
state_root = "/host"

[[service]]
name = "BiggestNumbers"
match_exe = "python3"
match_cmdline = "biggest_numbers"

[[service]]
name = "Shop"
match_container = "^shop-"
)",
                        &config),
            "");
  EXPECT_EQ(config.container_state_root, "/host");
  ASSERT_EQ(config.services.size(), 2u);
  EXPECT_EQ(config.services[0].name, "BiggestNumbers");
  EXPECT_EQ(config.services[0].match_cmdline, "biggest_numbers");
  EXPECT_EQ(config.services[0].where, "ember.toml:4:1");
  EXPECT_EQ(config.services[1].match_container, "^shop-");
  EXPECT_EQ(config.services[1].match_exe, "");

  EXPECT_EQ(parse_error("[[service]]\nname = \"x\"\nmatch_exe = \"([\"\n"),
            "ember.toml:3:1: service[0].match_exe: invalid regex \"([\": "
            "Unexpected character within '[...]' in regular expression");
  EXPECT_EQ(parse_error("[[service]]\nname = \"x\"\n"),
            "ember.toml:2:1: service[0].name: service \"x\" matches nothing: give match_exe, "
            "match_cmdline or match_container");
  EXPECT_EQ(parse_error("[[service]]\nmatch_exe = \"a\"\n"),
            "ember.toml:1:1: service[0].name: every [[service]] needs a non-empty name");
  EXPECT_EQ(parse_error("[[service]]\nname = \"x\"\nmatch_exe = \"a\"\nmatch_exec = \"b\"\n"),
            "ember.toml:4:1: service[0].match_exec: unknown key");
  EXPECT_EQ(parse_error("service = 3\n"),
            "ember.toml:1:1: service: expected [[service]] tables, got an integer");
  EXPECT_EQ(parse_error("[containers]\nstate_root = \"host\"\n"),
            "ember.toml:2:1: containers.state_root: must be an absolute path, got \"host\"");
}

TEST(ConfigTest, BadPids) {
  EXPECT_EQ(parse_error("[processes]\npids = [12, 0]\n"),
            "ember.toml:2:13: processes.pids: must be between 1 and 4194304, got 0");
  EXPECT_EQ(parse_error("[processes]\npids = [\"12\"]\n"),
            "ember.toml:2:9: processes.pids: expected process ids (integers), found a string");
}

TEST(ConfigTest, BadRegexNamesKeyAndRegex) {
  std::string message = parse_error("[processes]\ninclude = [\"^ok$\", \"(unclosed\"]\n");
  EXPECT_EQ(message.rfind("ember.toml:2:20: processes.include: invalid regex \"(unclosed\": ", 0),
            0u)
      << message;
  message = parse_error("[processes]\nexclude = [\"[z-a]\"]\n");
  EXPECT_EQ(message.rfind("ember.toml:2:12: processes.exclude: invalid regex \"[z-a]\": ", 0), 0u)
      << message;
}

TEST(ConfigTest, SyntaxErrorGivesPositionAndDescription) {
  std::string message = parse_error("[agent]\nlog_level = \"info\"\nwindow_seconds = = 3\n");
  EXPECT_EQ(message.rfind("ember.toml:3:", 0), 0u) << message;
  EXPECT_GT(message.size(), std::string("ember.toml:3:1: ").size()) << message;
  message = parse_error("[agent\n");
  EXPECT_EQ(message.rfind("ember.toml:1:", 0), 0u) << message;
}

TEST(ConfigTest, SinkQueueAndFlushTimeoutAreTheHostsKeys) {
  Config config;
  ASSERT_EQ(parse_error("[sink.files]\nenabled = true\nqueue_windows = 3\n"
                        "flush_timeout_seconds = 30\ndirectory = \"/tmp/p\"\n",
                        &config),
            "");
  const PluginConfig& files = config.sinks.at("files");
  EXPECT_EQ(files.queue_windows, 3u);
  EXPECT_EQ(files.queue_mb, 32u);  // the default
  EXPECT_EQ(files.flush_timeout_seconds, 30u);
  EXPECT_EQ(files.options.size(), 1u);  // only directory reaches the plugin
  EXPECT_EQ(config.sinks.size(), 1u);
  ASSERT_EQ(parse_error("[sink.store]\nenabled = true\n", &config), "");
  EXPECT_EQ(config.sinks.at("store").queue_windows, 8u);
  EXPECT_EQ(config.sinks.at("store").flush_timeout_seconds, 30u);

  EXPECT_EQ(parse_error("[sink.files]\nqueue_windows = 0\n"),
            "ember.toml:2:1: sink.files.queue_windows: must be between 1 and 1024, got 0");
  ASSERT_EQ(parse_error("[sink.files]\nqueue_mb = 64\n", &config), "");
  EXPECT_EQ(config.sinks.at("files").queue_mb, 64u);
  EXPECT_EQ(config.sinks.at("files").options.count("queue_mb"), 0u);
  EXPECT_EQ(parse_error("[sink.files]\nqueue_mb = 0\n"),
            "ember.toml:2:1: sink.files.queue_mb: must be between 1 and 65536, got 0");
  EXPECT_EQ(
      parse_error("[sink.files]\nqueue_mb = 1.5\n"),
      "ember.toml:2:1: sink.files.queue_mb: expected an integer, got a floating-point number");
  EXPECT_EQ(parse_error("[sink.files]\nflush_timeout_seconds = \"10s\"\n"),
            "ember.toml:2:1: sink.files.flush_timeout_seconds: expected an integer, got a string");
  // A runtime has no queue: the key is the plugin's to refuse.
  ASSERT_EQ(parse_error("[runtime.cpython]\nqueue_windows = 2\n", &config), "");
  EXPECT_EQ(config.runtimes.at("cpython").options.count("queue_windows"), 1u);
}

TEST(ConfigTest, PluginTablesPassOptionsThroughWithWhere) {
  Config config;
  ASSERT_EQ(parse_error(R"([runtime.cpython]
enabled = true
max_depth = 128

[sink.files]
enabled = true
required = true
directory = "/tmp/p"
formats = ["folded", "speedscope"]
ratio = 0.5
thread_frames = true
)",
                        &config),
            "");
  ASSERT_EQ(config.runtimes.count("cpython"), 1u);
  const PluginConfig& cpython = config.runtimes.at("cpython");
  EXPECT_TRUE(cpython.enabled);
  EXPECT_FALSE(cpython.required);
  EXPECT_EQ(cpython.where, "ember.toml:1:1");
  ASSERT_EQ(cpython.options.size(), 1u);
  EXPECT_EQ(std::get<std::int64_t>(cpython.options.at("max_depth").value), 128);
  EXPECT_EQ(cpython.options.at("max_depth").where, "ember.toml:3:1");

  const PluginConfig& files = config.sinks.at("files");
  EXPECT_TRUE(files.enabled);
  EXPECT_TRUE(files.required);
  EXPECT_EQ(files.where, "ember.toml:5:1");
  EXPECT_EQ(files.options.count("enabled"), 0u);
  EXPECT_EQ(files.options.count("required"), 0u);
  ASSERT_EQ(files.options.size(), 4u);
  EXPECT_EQ(std::get<std::string>(files.options.at("directory").value), "/tmp/p");
  EXPECT_EQ(files.options.at("directory").where, "ember.toml:8:1");
  EXPECT_EQ(std::get<std::vector<std::string>>(files.options.at("formats").value),
            (std::vector<std::string>{"folded", "speedscope"}));
  EXPECT_DOUBLE_EQ(std::get<double>(files.options.at("ratio").value), 0.5);
  EXPECT_TRUE(std::get<bool>(files.options.at("thread_frames").value));
}

TEST(ConfigTest, PluginOptionOfUnsupportedTypeIsAnError) {
  EXPECT_EQ(parse_error("[sink.files]\nwhen = 1979-05-27\n"),
            "ember.toml:2:1: sink.files.when: unsupported value: a date (plugin options are "
            "strings, integers, floats, booleans or arrays of strings)");
  EXPECT_EQ(parse_error("[sink.files]\nformats = [\"folded\", 1]\n"),
            "ember.toml:2:22: sink.files.formats: arrays in plugin options hold strings only, "
            "found an integer");
  EXPECT_EQ(parse_error("[sink.files.nested]\nx = 1\n"),
            "ember.toml:1:13: sink.files.nested: unsupported value: a table (plugin options are "
            "strings, integers, floats, booleans or arrays of strings)");
}

TEST(ConfigTest, BadPluginName) {
  EXPECT_EQ(parse_error("[sink.Files]\nenabled = true\n"),
            "ember.toml:1:7: sink.Files: plugin names use lowercase letters, digits, '_' and '-'");
}

// "\u0000" is valid TOML; in a path it would cut the path short where the
// C library reads it.
TEST(ConfigTest, ANulCharacterInAStringIsAnError) {
  EXPECT_EQ(parse_error("[agent]\nlog_level = \"info\\u0000debug\"\n"),
            "ember.toml:2:13: agent.log_level: holds a NUL character (\\u0000): no path or name can");
  EXPECT_NE(parse_error("[agent]\nplugin_dirs = [\"/opt\\u0000/x\"]\n")
                .find("agent.plugin_dirs: holds a NUL character"),
            std::string::npos);
  EXPECT_NE(parse_error("[sink.store]\npath = \"/var/lib/ember\\u0000.db\"\n")
                .find("ember.toml:2:8: sink.store.path: holds a NUL character"),
            std::string::npos);
  EXPECT_NE(parse_error("[sink.files]\nformats = [\"folded\", \"svg\\u0000\"]\n")
                .find("sink.files.formats: holds a NUL character"),
            std::string::npos);
}

TEST(ConfigTest, FailedParseLeavesOutputUntouched) {
  Config config;
  config.frequency_hz = 7;
  EXPECT_FALSE(parse_config("[sampler]\nfrequency_hz = 0\n", "ember.toml", config).is_ok());
  EXPECT_EQ(config.frequency_hz, 7u);
}

TEST(ConfigTest, MissingFileNamesThePath) {
  Config config;
  Status status = load_config_file("/nonexistent/ember.toml", config);
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(status.message(),
            "/nonexistent/ember.toml: cannot read the config file: No such file or directory");
}

// A directory reads as an empty file through ifstream: it must not pass for
// a config with every default.
TEST(ConfigTest, ADirectoryIsNotAConfigFile) {
  Config config;
  Status status = load_config_file(EMBER_SOURCE_DIR, config);
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(status.message(),
            std::string(EMBER_SOURCE_DIR) + ": cannot read the config file: it is a directory");
}

TEST(ConfigTest, TheShippedDefaultConfigLoads) {
  const std::string path = std::string(EMBER_SOURCE_DIR) + "/configs/ember.toml";
  Config config;
  Status status = load_config_file(path, config);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(config.source, path);

  // The documented defaults are the built-in ones.
  Config builtin;
  EXPECT_EQ(config.plugin_dirs, builtin.plugin_dirs);
  EXPECT_EQ(config.log_level, builtin.log_level);
  EXPECT_EQ(config.window_seconds, builtin.window_seconds);
  EXPECT_EQ(config.max_window_mb, builtin.max_window_mb);
  EXPECT_EQ(config.event, builtin.event);
  EXPECT_EQ(config.frequency_hz, builtin.frequency_hz);
  EXPECT_EQ(config.ring_buffer_kib, builtin.ring_buffer_kib);
  EXPECT_EQ(config.stack_snapshot_bytes, builtin.stack_snapshot_bytes);
  EXPECT_EQ(config.leaf_snapshot_bytes, builtin.leaf_snapshot_bytes);
  EXPECT_EQ(config.pids, builtin.pids);
  EXPECT_EQ(config.include, builtin.include);
  EXPECT_EQ(config.exclude, builtin.exclude);
  EXPECT_EQ(config.ui_enabled, builtin.ui_enabled);
  EXPECT_EQ(config.ui_listen, builtin.ui_listen);

  ASSERT_EQ(config.runtimes.count("native"), 1u);
  EXPECT_TRUE(config.runtimes.at("native").enabled);
  ASSERT_EQ(config.sinks.count("files"), 1u);
  const PluginConfig& files = config.sinks.at("files");
  EXPECT_TRUE(files.enabled);
  EXPECT_EQ(std::get<std::string>(files.options.at("directory").value), "/var/lib/ember/profiles");
  EXPECT_EQ(std::get<std::vector<std::string>>(files.options.at("formats").value),
            (std::vector<std::string>{"folded", "speedscope"}));
  EXPECT_EQ(files.options.at("directory").where.rfind(path + ":", 0), 0u);
}

TEST(ConfigTest, UiTableTakesAListenAddress) {
  Config config;
  ASSERT_EQ(parse_error("[ui]\nenabled = true\nlisten = \"[::1]:9090\"\n", &config), "");
  EXPECT_TRUE(config.ui_enabled);
  EXPECT_EQ(config.ui_listen, "[::1]:9090");
  EXPECT_EQ(parse_error("[ui]\nlisten = \"localhost\"\n"),
            "ember.toml:2:1: ui.listen: \"localhost\": no port; expected HOST:PORT, e.g. "
            "127.0.0.1:8080 or [::1]:8080");
  EXPECT_NE(parse_error("[ui]\nlisten = \"127.0.0.1:70000\"\n").find("0 (any free port) to 65535"),
            std::string::npos);
  EXPECT_NE(parse_error("[ui]\nport = 1\n").find("ui.port"), std::string::npos);
}

}  // namespace
}  // namespace ember
