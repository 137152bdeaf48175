// Re-probing a running process whose mappings changed: this very process
// dlopens libember_late.so after it was attached, and a plugin claiming that
// library is attached next to the native one, its code ranges collected.
#include "agent/runtime_attacher.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ember {
namespace {

std::string_view base_name(std::string_view path) {
  return path.substr(path.find_last_of('/') + 1);
}

struct Counts {
  int attached = 0;
  int mappings_changed = 0;
};

class CountingHandler final : public ProcessHandler {
 public:
  CountingHandler(Counts& counts, std::string claimed) : counts_(counts), claimed_(claimed) {}
  void on_mappings_changed(const ProcessRef& process) override {
    ++counts_.mappings_changed;
    mappings_ = *process.mappings;
  }
  void code_ranges(std::vector<CodeRange>& ranges) const override {
    for (const Mapping& m : mappings_) {
      if (!claimed_.empty() && m.executable && base_name(m.path) == claimed_) {
        ranges.push_back(CodeRange{m.start, m.end});
      }
    }
  }
  std::vector<Mapping> mappings_;

 private:
  Counts& counts_;
  std::string claimed_;
};

struct Claimed final : BinaryData {};

// Claims `library` by file name (or, for the native role, every process).
class FakeRuntime final : public RuntimePlugin {
 public:
  FakeRuntime(std::string library, Counts& counts) : library_(std::move(library)), counts_(counts) {}
  std::string_view name() const override { return library_.empty() ? "native" : "late"; }
  Status configure(const Options&, Host&) override { return Status::ok(); }
  bool handles_every_process() const override { return library_.empty(); }
  std::shared_ptr<const BinaryData> probe(const BinaryRef& binary) override {
    ++probes;
    return base_name(binary.path) == library_ ? std::make_shared<Claimed>() : nullptr;
  }
  std::unique_ptr<ProcessHandler> attach(const ProcessRef& process,
                                         std::shared_ptr<const BinaryData>) override {
    ++counts_.attached;
    attached_exe = process.exe;
    auto handler = std::make_unique<CountingHandler>(counts_, library_);
    handler->mappings_ = *process.mappings;
    return handler;
  }
  int probes = 0;
  std::string attached_exe;  // the last attach's

 private:
  std::string library_;
  Counts& counts_;
};

template <typename Plugin>
PluginInstance<RuntimePlugin> instance(std::unique_ptr<Plugin> plugin) {
  std::string name(plugin->name());
  return PluginInstance<RuntimePlugin>{name, nullptr,
                                       std::make_unique<HostHandle>("runtime." + name, nullptr),
                                       std::move(plugin)};
}

TEST(RuntimeAttacher, ALibraryMappedLaterIsProbedAndItsClaimerAttached) {
  Counts native_counts;
  Counts late_counts;
  PluginSet plugins;
  plugins.runtimes.push_back(instance(std::make_unique<FakeRuntime>("", native_counts)));
  auto late_plugin = std::make_unique<FakeRuntime>("libember_late.so", late_counts);
  FakeRuntime& late = *late_plugin;
  plugins.runtimes.push_back(instance(std::move(late_plugin)));
  RuntimeAttacher attacher(plugins);

  ProcessState process;
  read_process(static_cast<std::uint32_t>(getpid()), process);
  attacher.attach(process);
  ASSERT_NE(process.native, nullptr);
  EXPECT_TRUE(process.runtimes.empty()) << "libember_late.so is not mapped yet";
  EXPECT_TRUE(process.code_claims.empty());

  void* library = dlopen(EMBER_LATE_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  auto* work = reinterpret_cast<std::uint64_t (*)(std::uint64_t)>(dlsym(library, "late_work"));
  ASSERT_NE(work, nullptr);
  const auto pc = reinterpret_cast<std::uint64_t>(work);
  EXPECT_EQ(find_mapping(process.mappings, pc), nullptr);

  const int probes_before = late.probes;
  EXPECT_TRUE(attacher.refresh_for_unknown_code(process, 1'000'000'000));
  EXPECT_NE(find_mapping(process.mappings, pc), nullptr);
  EXPECT_GE(native_counts.mappings_changed, 1);
  EXPECT_GE(late.probes, probes_before + 1) << "the new library was probed";
  ASSERT_EQ(process.runtimes.size(), 1u);
  EXPECT_EQ(process.runtimes[0].plugin, "late");
  EXPECT_EQ(process.runtime("late"), process.runtimes[0].handler);
  const CodeClaims::Segment* claim = process.code_claims.find(pc);
  ASSERT_NE(claim, nullptr) << "the new handler's code ranges were collected";
  EXPECT_EQ(process.code_claims.owners()[claim->owner], process.runtimes[0].handler);

  // Within 200 ms: not read again. Later, same maps: no second handler.
  EXPECT_FALSE(attacher.refresh_for_unknown_code(process, 1'100'000'000));
  EXPECT_TRUE(attacher.refresh_for_unknown_code(process, 1'300'000'000));
  EXPECT_EQ(late_counts.attached, 1);
  EXPECT_EQ(process.runtimes.size(), 1u);

  dlclose(library);
  EXPECT_TRUE(attacher.refresh(process));
  EXPECT_EQ(process.code_claims.find(pc), nullptr) << "unmapped: claimed no more";
  EXPECT_EQ(late_counts.attached, 1) << "a handler per plugin, kept while the process lives";
}

TEST(RuntimeAttacher, AChildThatExecdIsAttachedUnderItsNewProgramsNames) {
  // Known first as a copy of this process (as a fork's child is), read again
  // after it exec'd sleep: the plugins see sleep's maps and sleep's names.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    _exit(127);
  }
  ProcessState process;
  read_process(static_cast<std::uint32_t>(getpid()), process);
  process.info.pid = static_cast<std::uint32_t>(child);
  const std::string parent_exe = process.info.exe;
  ProcessInfo now;
  for (int i = 0; i < 500 && (now.exe.empty() || now.exe == parent_exe); ++i) {
    usleep(10'000);
    read_process_names(static_cast<std::uint32_t>(child), now);
  }
  ASSERT_NE(now.exe, parent_exe) << "the child did not exec sleep in 5 s";

  Counts counts;
  PluginSet plugins;
  auto sleep_plugin = std::make_unique<FakeRuntime>("sleep", counts);
  FakeRuntime& sleep_runtime = *sleep_plugin;
  plugins.runtimes.push_back(instance(std::move(sleep_plugin)));
  RuntimeAttacher attacher(plugins);
  EXPECT_TRUE(attacher.refresh(process));
  EXPECT_EQ(counts.attached, 1);
  EXPECT_EQ(base_name(sleep_runtime.attached_exe), "sleep") << "attached under the parent's exe";
  EXPECT_EQ(base_name(process.info.exe), "sleep");
  EXPECT_EQ(process.info.comm, "sleep");
  EXPECT_EQ(process.info.cmdline, "sleep 30");
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

// A paused child: its maps stay as they are (this process' own change
// with every allocation). Killed and reaped at the end of the scope.
struct PausedChild {
  PausedChild() : pid(fork()) {
    if (pid == 0) {
      pause();
      _exit(0);
    }
  }
  ~PausedChild() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  pid_t pid;
};

TEST(RuntimeAttacher, UnchangedMapsAreNotPassedOn) {
  PausedChild child;
  ASSERT_GT(child.pid, 0);
  Counts counts;
  PluginSet plugins;
  plugins.runtimes.push_back(instance(std::make_unique<FakeRuntime>("", counts)));
  RuntimeAttacher attacher(plugins);
  {
    ProcessState process;
    read_process(static_cast<std::uint32_t>(child.pid), process);
    attacher.attach(process);
    EXPECT_TRUE(attacher.refresh(process));
    EXPECT_TRUE(attacher.refresh(process));
    EXPECT_EQ(counts.mappings_changed, 0);
  }
}

// A VM still starting: its handler says setting_up() until `ready`, and
// claims the libc it was attached for only then.
class StartingVmHandler final : public ProcessHandler {
 public:
  StartingVmHandler(Counts& counts, const bool& ready) : counts_(counts), ready_(ready) {}
  void on_mappings_changed(const ProcessRef& process) override {
    ++counts_.mappings_changed;
    if (ready_) mappings_ = *process.mappings;
  }
  bool setting_up() const override { return mappings_.empty(); }
  void code_ranges(std::vector<CodeRange>& ranges) const override {
    for (const Mapping& m : mappings_) {
      if (m.executable && base_name(m.path) == "libc.so.6") ranges.push_back(CodeRange{m.start, m.end});
    }
  }

 private:
  Counts& counts_;
  const bool& ready_;
  std::vector<Mapping> mappings_;
};

class StartingVmRuntime final : public RuntimePlugin {
 public:
  StartingVmRuntime(Counts& counts, const bool& ready) : counts_(counts), ready_(ready) {}
  std::string_view name() const override { return "vm"; }
  Status configure(const Options&, Host&) override { return Status::ok(); }
  std::shared_ptr<const BinaryData> probe(const BinaryRef& binary) override {
    return base_name(binary.path) == "libc.so.6" ? std::make_shared<Claimed>() : nullptr;
  }
  std::unique_ptr<ProcessHandler> attach(const ProcessRef&,
                                         std::shared_ptr<const BinaryData>) override {
    ++counts_.attached;
    return std::make_unique<StartingVmHandler>(counts_, ready_);
  }

 private:
  Counts& counts_;
  const bool& ready_;
};

TEST(RuntimeAttacher, AHandlerSettingUpIsToldOfUnchangedMapsUntilItIsSetUp) {
  PausedChild child;
  ASSERT_GT(child.pid, 0);
  for (const std::uint32_t minor : {RuntimeAttacher::kSettingUpMinor, 1u}) {
    SCOPED_TRACE("a plugin built for ABI minor " + std::to_string(minor));
    Counts counts;
    bool ready = false;
    PluginSet plugins;
    auto plugin = std::make_unique<StartingVmRuntime>(counts, ready);
    plugins.runtimes.push_back(PluginInstance<RuntimePlugin>{
        "vm", nullptr, std::make_unique<HostHandle>("runtime.vm", nullptr), std::move(plugin),
        minor});
    RuntimeAttacher attacher(plugins);
    ProcessState process;
    read_process(static_cast<std::uint32_t>(child.pid), process);
    attacher.attach(process);
    ASSERT_EQ(counts.attached, 1);
    EXPECT_TRUE(process.code_claims.empty());
    if (minor < RuntimeAttacher::kSettingUpMinor) {
      // Its vtable has no setting_up(): never asked, never told of unchanged maps.
      EXPECT_FALSE(process.setting_up);
      EXPECT_TRUE(attacher.refresh(process));
      EXPECT_EQ(counts.mappings_changed, 0);
      continue;
    }
    EXPECT_TRUE(process.setting_up);
    EXPECT_TRUE(attacher.refresh(process));
    EXPECT_EQ(counts.mappings_changed, 1) << "told though the maps are the same";
    EXPECT_TRUE(process.setting_up);
    EXPECT_TRUE(process.code_claims.empty());

    ready = true;
    EXPECT_TRUE(attacher.refresh(process));
    EXPECT_EQ(counts.mappings_changed, 2);
    EXPECT_FALSE(process.setting_up);
    const Mapping* libc = nullptr;
    for (const Mapping& m : process.mappings) {
      if (m.executable && base_name(m.path) == "libc.so.6") libc = &m;
    }
    ASSERT_NE(libc, nullptr);
    EXPECT_NE(process.code_claims.find(libc->start), nullptr) << "its code ranges asked again";

    EXPECT_TRUE(attacher.refresh(process));
    EXPECT_EQ(counts.mappings_changed, 2) << "set up: unchanged maps are not passed on again";
    EXPECT_EQ(counts.attached, 1);
  }
}

}  // namespace
}  // namespace ember
