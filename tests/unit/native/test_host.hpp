// A Host for driving the plugin in tests: records log lines, reads memory
// with process_vm_readv, has no BPF sampler. Test scaffolding, not a mock.
#pragma once

#include <sys/uio.h>

#include <mutex>
#include <string>
#include <vector>

#include "ember/host.hpp"

namespace ember_test {

class TestHost : public ember::Host {
 public:
  void log(ember::LogLevel level, std::string_view message) override {
    std::lock_guard lock(mutex_);
    lines_.push_back({level, std::string(message)});
  }
  std::string process_root(std::uint32_t pid) const override {
    return "/proc/" + std::to_string(pid) + "/root";
  }
  bool read_memory(std::uint32_t pid, std::uint64_t address, void* buffer,
                   std::size_t size) override {
    iovec local{buffer, size};
    iovec remote{reinterpret_cast<void*>(address), size};
    return process_vm_readv(static_cast<pid_t>(pid), &local, 1, &remote, 1, 0) ==
           static_cast<ssize_t>(size);
  }
  int bpf_map_fd(std::string_view) const override { return -1; }
  ember::Status register_bpf_program(int, std::uint32_t&) override {
    return ember::Status::error("no sampler in tests");
  }
  ember::Status set_process_program(std::uint32_t, std::uint32_t) override {
    return ember::Status::error("no sampler in tests");
  }
  ember::Status set_process_flags(std::uint32_t, std::uint32_t, bool) override {
    return ember::Status::error("no sampler in tests");
  }

  // Log lines at `level` that contain `text`.
  std::size_t count(ember::LogLevel level, const std::string& text) {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& line : lines_) n += line.level == level && line.text.find(text) != std::string::npos;
    return n;
  }

 private:
  struct Line {
    ember::LogLevel level;
    std::string text;
  };
  std::mutex mutex_;
  std::vector<Line> lines_;
};

}  // namespace ember_test
