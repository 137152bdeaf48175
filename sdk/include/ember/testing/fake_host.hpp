// A Host for unit-testing a plugin without root or a sampler: it records
// what the plugin logs and asks for, serves memory the test put there
// (else the real process's, through process_vm_readv), and has no BPF.
// Header-only; part of the SDK's test kit (docs/plugin-sdk.md, "Testing").
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ember/frame_kind.hpp"
#include "ember/host.hpp"

namespace ember::testkit {

class FakeHost : public Host {
 public:
  struct LogLine {
    LogLevel level;
    std::string text;
  };

  // --- what the test sets up ---

  // Bytes `read_memory(pid, address, ...)` returns: a read inside one such
  // range is served from it; reads outside every range of a pid that has
  // some fail, like unmapped memory. Pids without ranges read the real
  // process.
  void add_memory(std::uint32_t pid, std::uint64_t address, std::vector<std::uint8_t> bytes) {
    std::lock_guard lock(mutex_);
    memory_[pid][address] = std::move(bytes);
  }
  template <typename T>
  void add_object(std::uint32_t pid, std::uint64_t address, const T& object) {
    std::vector<std::uint8_t> bytes(sizeof(T));
    std::memcpy(bytes.data(), &object, sizeof(T));
    add_memory(pid, address, std::move(bytes));
  }

  // Where unwind_rule's answers come from; none until set.
  using UnwindRuleSource = std::function<bool(std::uint32_t, std::uint64_t, UnwindRule&)>;
  void set_unwind_rules(UnwindRuleSource source) { unwind_rules_ = std::move(source); }

  // --- what the test checks ---

  // Log lines at `level` containing `text`.
  std::size_t count(LogLevel level, std::string_view text) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& line : lines_) n += line.level == level && line.text.find(text) != std::string::npos;
    return n;
  }
  // The first such line, or "".
  std::string find(LogLevel level, std::string_view text) const {
    std::lock_guard lock(mutex_);
    for (const auto& line : lines_) {
      if (line.level == level && line.text.find(text) != std::string::npos) return line.text;
    }
    return "";
  }
  std::vector<LogLine> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  // The program slot each pid was routed to (set_process_program; 0 = none).
  std::uint32_t process_program(std::uint32_t pid) const {
    std::lock_guard lock(mutex_);
    auto it = programs_.find(pid);
    return it == programs_.end() ? 0 : it->second;
  }
  std::uint32_t process_flags(std::uint32_t pid) const {
    std::lock_guard lock(mutex_);
    auto it = flags_.find(pid);
    return it == flags_.end() ? 0 : it->second;
  }
  // Kinds registered, with their colors.
  std::map<std::string, std::string> frame_kinds() const {
    std::lock_guard lock(mutex_);
    return kinds_;
  }

  // --- Host ---

  void log(LogLevel level, std::string_view message) override {
    std::lock_guard lock(mutex_);
    lines_.push_back({level, std::string(message)});
  }
  std::string process_root(std::uint32_t pid) const override {
    return "/proc/" + std::to_string(pid) + "/root";
  }
  bool read_memory(std::uint32_t pid, std::uint64_t address, void* buffer,
                   std::size_t size) override {
    {
      std::lock_guard lock(mutex_);
      auto process = memory_.find(pid);
      if (process != memory_.end()) {
        auto range = process->second.upper_bound(address);
        if (range == process->second.begin()) return false;
        --range;
        std::uint64_t offset = address - range->first;
        if (offset > range->second.size() || size > range->second.size() - offset) return false;
        std::memcpy(buffer, range->second.data() + offset, size);
        return true;
      }
    }
    iovec local{buffer, size};
    iovec remote{reinterpret_cast<void*>(address), size};
    return process_vm_readv(static_cast<pid_t>(pid), &local, 1, &remote, 1, 0) ==
           static_cast<ssize_t>(size);
  }
  int bpf_map_fd(std::string_view) const override { return -1; }
  Status register_bpf_program(int, std::uint32_t&) override {
    return Status::error("no BPF sampler in a FakeHost");
  }
  Status set_process_program(std::uint32_t pid, std::uint32_t slot) override {
    std::lock_guard lock(mutex_);
    programs_[pid] = slot;
    return Status::ok();
  }
  Status set_process_flags(std::uint32_t pid, std::uint32_t flags, bool on) override {
    std::lock_guard lock(mutex_);
    flags_[pid] = on ? (flags_[pid] | flags) : (flags_[pid] & ~flags);
    return Status::ok();
  }
  Status register_frame_kind(std::string_view kind, std::string_view color) override {
    if (!is_valid_frame_kind_name(kind)) return Status::error("invalid frame kind name");
    if (!is_valid_frame_kind_color(color)) return Status::error("invalid frame kind color");
    std::lock_guard lock(mutex_);
    kinds_[std::string(kind)] = std::string(color);
    return Status::ok();
  }
  bool unwind_rule(std::uint32_t pid, std::uint64_t pc, UnwindRule& rule) override {
    return unwind_rules_ && unwind_rules_(pid, pc, rule);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<LogLine> lines_;
  std::map<std::uint32_t, std::map<std::uint64_t, std::vector<std::uint8_t>>> memory_;
  std::map<std::uint32_t, std::uint32_t> programs_;
  std::map<std::uint32_t, std::uint32_t> flags_;
  std::map<std::string, std::string> kinds_;
  UnwindRuleSource unwind_rules_;
};

}  // namespace ember::testkit
