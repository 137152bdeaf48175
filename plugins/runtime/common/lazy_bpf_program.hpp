// A runtime plugin's BPF program (a libbpf C++ skeleton), loaded once, when
// the plugin first needs it: every BPF object loaded costs the agent libbpf's
// parse of the kernel's BTF (about 40 ms here) and a pass of the verifier,
// and most hosts run none of a given runtime, so a plugin can wait for its
// first process (ready() in attach). The object shares the sampler's maps,
// and its program goes into a slot of the sampler's program array.
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <string>
#include <utility>

#include "ember/host.hpp"
#include "ember/status.hpp"

namespace ember {

template <class Skeleton>
class LazyBpfProgram {
 public:
  // The program to register, picked from a loaded skeleton.
  using ProgramOf = bpf_program* (*)(Skeleton*);

  // `what`: "the CPython frame walker"; `without_it`: what the plugin does
  // when it does not load ("Python frames are not named").
  LazyBpfProgram(ProgramOf program, std::string what, std::string without_it)
      : program_(program), what_(std::move(what)), without_it_(std::move(without_it)) {}
  ~LazyBpfProgram() { Skeleton::destroy(skeleton_); }
  LazyBpfProgram(const LazyBpfProgram&) = delete;
  LazyBpfProgram& operator=(const LazyBpfProgram&) = delete;

  // Loads the object and registers its program the first time; after that
  // answers as the first time did, without trying again.
  const Status& load(Host& host) {
    if (!tried_) {
      tried_ = true;
      status_ = try_load(host);
      if (!status_) {
        Skeleton::destroy(skeleton_);
        skeleton_ = nullptr;
      }
    }
    return status_;
  }

  // Whether the program is loaded, loading it now if it was not tried yet;
  // a failure is logged once, with what goes without the program.
  bool ready(Host& host) {
    const bool first = !tried_;
    if (load(host)) return true;
    if (first) {
      host.log(LogLevel::warn, what_ + " did not load: " + status_.message() + "; " + without_it_);
    }
    return false;
  }

  // Valid once loaded.
  Skeleton* skeleton() const { return skeleton_; }
  std::uint32_t slot() const { return slot_; }

 private:
  Status try_load(Host& host) {
    skeleton_ = Skeleton::open();
    if (!skeleton_) return Status::error("cannot open the BPF object");
    // The program writes into the sampler's sample and ends in its submit
    // program: it must use the sampler's maps, not copies of its own.
    for (bpf_map* map : {skeleton_->maps.ember_scratch, skeleton_->maps.ember_programs,
                         skeleton_->maps.ember_stats}) {
      int fd = host.bpf_map_fd(bpf_map__name(map));
      if (fd < 0 || bpf_map__reuse_fd(map, fd) != 0) {
        return Status::error(std::string("cannot share the sampler's map ") + bpf_map__name(map));
      }
    }
    if (int err = Skeleton::load(skeleton_); err != 0) {
      return Status::error("cannot load the BPF program (error " + std::to_string(err) +
                           "); run with debug logs for the verifier's output");
    }
    return host.register_bpf_program(bpf_program__fd(program_(skeleton_)), slot_);
  }

  ProgramOf program_;
  std::string what_;
  std::string without_it_;
  Skeleton* skeleton_ = nullptr;
  std::uint32_t slot_ = 0;
  bool tried_ = false;
  Status status_ = Status::ok();
};

}  // namespace ember
