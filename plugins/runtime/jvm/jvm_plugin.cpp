// The JVM runtime plugin (kind "java"): names the code HotSpot generates and
// steps over its frames, with nothing from the JVM but its own memory: no
// agent, no flag, no restart. It reads the VM's vmStructs tables from the
// live process (libjvm.so exports them for the Serviceability Agent), claims
// the code cache's heaps through the address symbolizer, names a compiled
// method's code "package.Class.method" from its nmethod's Method*, and gives
// the native unwinder a rule per code address from the CodeBlob's frame size
// (compiled frames keep no frame pointer without -XX:+PreserveFramePointer).
// Interpreted frames are named by the Method* in their frame, read from the
// sample's stack copy; compiled ones by their nmethod's scopes, the methods
// inlined at the pc as frames of their own; lines from the methods' line
// number tables (see README.md).
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "detect.hpp"
#include "ember/option_reader.hpp"
#include "ember/plugin.hpp"
#include "ember/runtime_plugin.hpp"
#include "jvm_process.hpp"

namespace ember::jvm {
namespace {

constexpr const char* kJavaColor = "#74d161";  // the built-in kind's own color

class JvmBinaryData final : public BinaryData {
 public:
  std::string path;  // as processes name it
  LibJvm jvm;
};

class HostMemory final : public RemoteMemory {
 public:
  HostMemory(Host& host, std::uint32_t pid) : host_(host), pid_(pid) {}
  bool read(std::uint64_t address, void* buffer, std::size_t size) override {
    return host_.read_memory(pid_, address, buffer, size);
  }

 private:
  Host& host_;
  std::uint32_t pid_;
};

class JvmHandler final : public ProcessHandler {
 public:
  JvmHandler(Host& host, const ProcessRef& process, std::shared_ptr<const JvmBinaryData> data)
      : host_(host), pid_(process.pid), data_(std::move(data)), memory_(host, process.pid),
        vm_(memory_) {
    on_mappings_changed(process);
  }
  ~JvmHandler() override {
    if (!vm_.ready()) return;
    host_.log(LogLevel::debug, "pid " + std::to_string(pid_) + ": caches held " +
                                   std::to_string(vm_.cached_blobs()) + " code blobs and " +
                                   std::to_string(vm_.cached_methods()) + " methods, ~" +
                                   std::to_string(vm_.cache_bytes()) + " bytes");
  }

  // A VM still starting (libjvm.so just loaded) has no vmStructs tables or
  // code cache yet: read again at the next mapping change, or the host's
  // next look while setting_up() says so (it may have mapped all it will).
  void on_mappings_changed(const ProcessRef& process) override {
    if (vm_.ready() || vm_.unsupported() || !process.mappings) return;
    auto bias = libjvm_bias(data_->jvm, *process.mappings, data_->path);
    if (!bias) return;
    Status status = vm_.refresh(data_->jvm.symbols, *bias);
    if (!status) {
      // Not set up yet is expected while the VM starts (said once per
      // reason, not at every look); a missing field is final.
      if (vm_.unsupported() || status.message() != waiting_for_) {
        host_.log(vm_.unsupported() ? LogLevel::warn : LogLevel::debug,
                  "pid " + std::to_string(pid_) + ": " + status.message() +
                      (vm_.unsupported() ? "; its Java code is profiled as native code" : ""));
      }
      waiting_for_ = status.message();
      return;
    }
    host_.log(LogLevel::info, "pid " + std::to_string(pid_) + ": HotSpot " +
                                  (vm_.version().empty() ? "(version unknown)" : vm_.version()) +
                                  ", code cache of " + std::to_string(vm_.heaps().size()) +
                                  " heaps" + reserve_text());
  }

  // " in a reserve of 240 MiB" (heaps added later are found in it), or
  // nothing when the VM does not say.
  std::string reserve_text() const {
    const std::uint64_t bytes = vm_.code_reserve_bytes();
    return bytes ? " in a reserve of " + std::to_string(bytes >> 20) + " MiB" : "";
  }

  bool setting_up() const override { return !vm_.ready() && !vm_.unsupported(); }

  void code_ranges(std::vector<CodeRange>& ranges) const override {
    // Code at an address changes without a mapping change: not cacheable.
    for (auto [low, high] : vm_.code_spans()) ranges.push_back(CodeRange{low, high, false});
  }

  bool unwind_rule(std::uint64_t pc, UnwindRule& rule) const override {
    return vm_.unwind_rule(pc, rule);
  }

  void symbolize_frames(const ember_sample& sample, std::span<const NativeFrame> frames,
                        std::vector<std::vector<FrameHandle>>& named) override {
    vm_.sample_taken(sample.header.time_ns);
    StackCopy stack;
    if (sample.flags & EMBER_SAMPLE_HAS_SNAPSHOT) {
      stack.sp = sample.user_sp;
      stack.bytes = std::span<const unsigned char>(
          sample.stack_snapshot,
          std::min<std::size_t>(sample.snapshot_size, EMBER_MAX_STACK_SNAPSHOT));
    }
    for (std::size_t i = 0; i < frames.size(); ++i) {
      vm_.frames(frames[i].pc, frames[i].cfa, stack, named[i]);
    }
    vm_.next_sample();
  }

 private:
  Host& host_;
  std::uint32_t pid_;
  std::shared_ptr<const JvmBinaryData> data_;
  HostMemory memory_;
  std::string waiting_for_;  // why the VM could not be read at the last look
  // Its caches change as it is asked (unwind_rule is const in the SDK).
  mutable JvmProcess vm_;
};

class JvmPlugin final : public RuntimePlugin {
 public:
  std::string_view name() const override { return "java"; }

  Status configure(const Options& options, Host& host) override {
    host_ = &host;
    OptionReader reader(options, "runtime.java");
    if (auto status = reader.finish(); !status) return status;
    return host.register_frame_kind(frame_kind::java, kJavaColor);
  }

  std::shared_ptr<const BinaryData> probe(const BinaryRef& binary) override {
    if (!is_libjvm_name(binary.path)) return nullptr;
    auto data = std::make_shared<JvmBinaryData>();
    bool found = false;
    Status status = detect(binary.open_path, data->jvm, found);
    if (!status) {
      host_->log(found ? LogLevel::warn : LogLevel::debug,
                 binary.path + ": " + status.message() + "; its Java code is not named");
      return nullptr;
    }
    data->path = binary.path;
    host_->log(LogLevel::info, "HotSpot VM: " + binary.path);
    return data;
  }

  std::unique_ptr<ProcessHandler> attach(const ProcessRef& process,
                                         std::shared_ptr<const BinaryData> data) override {
    auto jvm = std::dynamic_pointer_cast<const JvmBinaryData>(data);
    if (!jvm || !host_) return nullptr;
    return std::make_unique<JvmHandler>(*host_, process, std::move(jvm));
  }

 private:
  Host* host_ = nullptr;
};

}  // namespace
}  // namespace ember::jvm

EMBER_RUNTIME_PLUGIN(ember::jvm::JvmPlugin, "java")
