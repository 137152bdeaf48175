// A complete runtime plugin exercising every seam a real interpreter plugin
// (CPython, JVM, Node) uses: its own BPF object bound to the sampler's maps,
// a program slot, per-binary probing, per-process attach, runtime frame
// symbolization, the merge at the interpreter's native frames and its call
// machinery dropped between them.
#include <bpf/libbpf.h>

#include <memory>
#include <string>

#include "ember/call_machinery.hpp"
#include "ember/option_reader.hpp"
#include "ember/plugin.hpp"
#include "fake_runtime.skel.h"

namespace {

class FakeHandler final : public ember::ProcessHandler {
 public:
  FakeHandler(ember::Host& host, std::uint32_t pid, std::uint32_t slot,
              const ember::CallMachinery& machinery)
      : host_(host), pid_(pid), machinery_(machinery) {
    host_.set_process_program(pid_, slot);
  }
  ~FakeHandler() override { host_.set_process_program(pid_, 0); }

  // One group per interpreter_loop run: the leaf for the inner one, its
  // caller for the outer one.
  void symbolize_runtime(const ember_sample& sample, ember::RuntimeFrameGroups& groups) override {
    for (std::uint32_t i = 0; i < sample.runtime_frame_count && i < EMBER_MAX_RUNTIME_FRAMES; ++i) {
      groups.push_back({sample.runtime_frames[i].word0 == 1 ? leaf_ : caller_});
    }
  }

  bool is_interpreter_frame(const ember::Frame& native) const override {
    return native.name == "interpreter_loop";
  }

  bool is_call_machinery(const ember::Frame& native) const override {
    return machinery_.contains(native);
  }

 private:
  ember::Host& host_;
  std::uint32_t pid_;
  const ember::CallMachinery& machinery_;  // the plugin's, which outlives handlers
  ember::FrameHandle leaf_ = std::make_shared<const ember::Frame>(
      ember::Frame{"fake_leaf", "script.fake", "script.fake", 7, ember::frame_kind::python, false});
  ember::FrameHandle caller_ = std::make_shared<const ember::Frame>(ember::Frame{
      "fake_caller", "script.fake", "script.fake", 3, ember::frame_kind::python, false});
};

class FakeBinary final : public ember::BinaryData {};

class FakeRuntimePlugin final : public ember::RuntimePlugin {
 public:
  ~FakeRuntimePlugin() override { fake_runtime_bpf::destroy(skeleton_); }

  std::string_view name() const override { return "fake"; }

  ember::Status configure(const ember::Options& options, ember::Host& host) override {
    host_ = &host;
    ember::OptionReader reader(options, "runtime.fake");
    binary_ = reader.get_string("binary", "fake_interpreter");
    if (auto status = reader.finish(); !status) return status;
    // The interpreter's trampolines between two of its frames; fake_builtin,
    // a "builtin" calling back into the interpreter, is not one of them.
    machinery_.add_object(binary_);
    machinery_.add_symbols({"call_trampoline*"});

    skeleton_ = fake_runtime_bpf::open();
    if (!skeleton_) return ember::Status::error("cannot open the fake runtime BPF object");
    for (auto* map : {skeleton_->maps.ember_scratch, skeleton_->maps.ember_programs,
                      skeleton_->maps.ember_stats}) {
      int fd = host.bpf_map_fd(bpf_map__name(map));
      if (fd < 0 || bpf_map__reuse_fd(map, fd) != 0) {
        return ember::Status::error(std::string("cannot share the sampler's map ") +
                                    bpf_map__name(map));
      }
    }
    if (fake_runtime_bpf::load(skeleton_) != 0) {
      return ember::Status::error("cannot load the fake runtime BPF program");
    }
    return host.register_bpf_program(bpf_program__fd(skeleton_->progs.fake_runtime_walk), slot_);
  }

  std::shared_ptr<const ember::BinaryData> probe(const ember::BinaryRef& binary) override {
    std::string_view path = binary.path;
    std::string_view base = path.substr(path.find_last_of('/') + 1);
    return base == binary_ ? std::make_shared<FakeBinary>() : nullptr;
  }

  std::unique_ptr<ember::ProcessHandler> attach(const ember::ProcessRef& process,
                                                std::shared_ptr<const ember::BinaryData>) override {
    return std::make_unique<FakeHandler>(*host_, process.pid, slot_, machinery_);
  }

 private:
  ember::Host* host_ = nullptr;
  fake_runtime_bpf* skeleton_ = nullptr;
  std::uint32_t slot_ = 0;
  std::string binary_;
  ember::CallMachinery machinery_;
};

}  // namespace

EMBER_RUNTIME_PLUGIN(FakeRuntimePlugin, "fake")
