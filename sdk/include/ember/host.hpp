// The host handle: everything a plugin sees of ember. Never the skeleton, never
// core types: a plugin built against this header works with any host of the
// same ABI version.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ember/status.hpp"
#include "ember/unwind_rule.hpp"

namespace ember {

enum class LogLevel { debug, info, warn, error };

// The sampler's maps a plugin's BPF object may share, all declared in
// ember/bpf/shared_maps.bpf.h: the per-CPU sample record (ember_scratch), the
// program array a plugin's program tail-calls back through (ember_programs),
// the statistics counters (ember_stats). The others (the per-pid
// ember_runtimes, the ember_events ring) are the host's: a plugin changes
// them through the calls below, never directly.
inline constexpr std::string_view kSharedBpfMaps[] = {"ember_scratch", "ember_programs",
                                                      "ember_stats"};

class Host {
 public:
  virtual ~Host() = default;

  // Logs through the plugin's own spdlog logger ("plugin.<name>").
  virtual void log(LogLevel level, std::string_view message) = 0;

  // Directory through which the process' files resolve, containers included
  // ("/proc/PID/root"): prefix it to any path the process names.
  virtual std::string process_root(std::uint32_t pid) const = 0;

  // Reads the process' memory; false when the range is unmapped or it exited.
  virtual bool read_memory(std::uint32_t pid, std::uint64_t address, void* buffer,
                           std::size_t size) = 0;

  // --- BPF (runtime plugins that walk their interpreter in the kernel) ---

  // The fd of one of the sampler's shared maps (kSharedBpfMaps), for
  // bpf_map__reuse_fd() on the plugin's own object before it loads. -1 for
  // any other name (logged) and when there is no sampler (tests).
  virtual int bpf_map_fd(std::string_view map_name) const = 0;

  // Puts a loaded perf_event program into a free ember_programs slot. The
  // program must end by tail-calling slot EMBER_PROG_SUBMIT.
  virtual Status register_bpf_program(int program_fd, std::uint32_t& slot) = 0;

  // Samples of `pid` tail-call `slot` (0 = none) before they are submitted.
  virtual Status set_process_program(std::uint32_t pid, std::uint32_t slot) = 0;

  // Sets or clears EMBER_PROCESS_* flags of `pid` (e.g. the stack snapshot).
  virtual Status set_process_flags(std::uint32_t pid, std::uint32_t flags, bool on) = 0;

  // --- Frame kinds (ABI 5) ---

  // Makes `kind` (frame_kind.hpp: 1-32 characters of [a-z0-9_]) known with
  // its display color "#rrggbb", for the frames this plugin names with it.
  // Call it from configure(). A built-in kind may only be registered with its
  // own color; a kind another plugin registered, only with the same color.
  // Frames of a kind nobody registered are still kept, drawn gray.
  virtual Status register_frame_kind(std::string_view kind, std::string_view color) {
    (void)kind;
    (void)color;
    return Status::error("this host keeps no frame kinds");
  }

  // --- Unwinding code without CFI (the native role, ABI 5) ---

  // How to step over a frame of process `pid` at code address `pc` that has
  // no CFI: the rule of the handler of that process that claims the code
  // (ProcessHandler::code_ranges, then unwind_rule), false when none does.
  // Asked by the native unwinder, from unwind_user.
  virtual bool unwind_rule(std::uint32_t pid, std::uint64_t pc, UnwindRule& rule) {
    (void)pid;
    (void)pc;
    (void)rule;
    return false;
  }
};

}  // namespace ember
