// Every process seen by the sampler, from its first sample (or exec) until the
// window holding its last samples has closed: its names, container, mappings
// and the runtime plugins' handlers for it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "address_names.hpp"
#include "code_claims.hpp"
#include "mapping_history.hpp"
#include "ember/proc_maps.hpp"
#include "ember/runtime_plugin.hpp"
#include "ember/window.hpp"
#include "process_labels.hpp"

namespace ember {

// A runtime plugin's handler attached to a process, besides the native role.
struct AttachedRuntime {
  std::string plugin;  // its name: [runtime.<plugin>]
  ProcessHandler* handler = nullptr;
  std::uint32_t program = 0;  // its BPF program slot, 0 without one
  std::uint32_t abi_minor = 0;  // the ABI minor its plugin was built for
};

struct ProcessState {
  ProcessInfo info;
  std::vector<Mapping> mappings;
  bool filtered_out = false;  // [processes] include/exclude said no
  bool exited = false;
  std::uint64_t last_sampled_window = 0;  // Agent's window counter
  std::uint64_t serial = 0;  // the table's count of entries made: which program of a pid
  // Out of the table (replaced by its pid's next program, removed, or the
  // table cleared) while a sample still holds it.
  bool left_table = false;
  // Handlers of the runtime plugins attached to it, in attach order
  // (destroyed with the entry).
  std::vector<std::unique_ptr<ProcessHandler>> handlers;
  ProcessHandler* native = nullptr;       // unwinds and names native frames
  std::vector<AttachedRuntime> runtimes;  // every other handler, in attach order
  CodeClaims code_claims;                 // which of them names which code
  AddressNames code_names;                // the names they gave, cached
  // When the host last re-read the maps for code outside them (monotonic
  // ns), and the addresses still outside every mapping after that read
  // (walk garbage, not asked about again until the maps change).
  std::int64_t unknown_code_read_ns = 0;
  std::unordered_set<std::uint64_t> unmapped_pcs;
  // A handler said setting_up(): its maps are re-read once a second.
  bool setting_up = false;
  // Set after exec while the dynamic loader (this file) may still be mapping
  // the libraries an interpreter plugin would claim.
  std::string loader_path;

  std::string root() const { return "/proc/" + std::to_string(info.pid) + "/root"; }
  // The handler of the plugin named `plugin`, or nullptr.
  ProcessHandler* runtime(std::string_view plugin) const;
  // The handler whose BPF program has slot `program` (not 0), or nullptr.
  ProcessHandler* interpreter(std::uint32_t program) const;
  // Whether a handler with a BPF program (an interpreter walk) is attached.
  bool has_interpreter() const;
};

// Reads what /proc says about a live process into `state` (names, cgroup,
// container id, pod uid, mappings); keeps what is already known when it has exited.
void read_process(std::uint32_t pid, ProcessState& state);

// Reads a live process's names (comm, exe, cmdline) into `info`; keeps what
// is already known of those it can't read.
void read_process_names(std::uint32_t pid, ProcessInfo& info);

// What a process exec'd while the agent runs mapped executable, known after
// its exit (MmapEventStream), or nullptr.
using ExecImageLookup = std::function<const ExecImage*(std::uint32_t pid)>;

// Mappings for a process /proc no longer shows: `known`, what was read of it
// before (empty if nothing), with the executable mappings of its image laid
// over them, if that image is the one `known` came from (one of its
// executable files at the same place; any image when `known` is empty).
// False when there is no such image.
bool mappings_after_exit(const ExecImage* image, const std::vector<Mapping>& known,
                         std::vector<Mapping>& out);

class ProcessTable {
 public:
  // Labels (container name, service) for every process read from now on, and
  // again for those already known (a reloaded config's rules).
  void set_labeler(std::unique_ptr<ProcessLabeler> labeler);
  // Where the mappings of a process gone from /proc come from.
  void set_exec_images(ExecImageLookup lookup) { exec_images_ = std::move(lookup); }

  // The entry for pid, or nullptr.
  ProcessState* find(std::uint32_t pid);
  std::shared_ptr<ProcessState> share(std::uint32_t pid);

  // The entry for pid; a new one is read from /proc and `is_new` set.
  ProcessState& get(std::uint32_t pid, bool& is_new);

  // exec replaced the program: forget everything but the pid.
  ProcessState& replace(std::uint32_t pid);

  // A child not yet exec'd: a new entry with its parent's names and
  // mappings (the same image), not what /proc shows of the child by now.
  ProcessState& fork(std::uint32_t pid, const ProcessState& parent);

  // The exit record of pid (its wall-clock time). The exiting task runs on
  // after it (the rest of do_exit; since Linux 6.16 that includes unmapping
  // its memory): a sample taken then comes after the record, often as the
  // first of a short-lived process. An entry get() makes for pid is made
  // exited too, until started() says the pid is a new process or
  // forget_exits_before() passes the exit's time; else it would stay
  // tracked until the idle rule dropped it, five windows later.
  void mark_exited(std::uint32_t pid, std::int64_t exit_time_ns);
  // An exec or fork record: pid runs (again, when the pid was reused).
  void started(std::uint32_t pid) { recent_exits_.erase(pid); }
  // Exits before this time (wall clock) no longer meet a sample.
  void forget_exits_before(std::int64_t time_ns);

  // Takes the processes that exited before `exited_before_ns` out of the
  // table and returns them; their runtime handlers (unwinder, symbol caches,
  // interpreter state) and mappings go when the last holder lets go. A busy
  // host starts thousands of short processes a window (compilers, shell
  // tools): kept until the window closed, their entries were the agent's
  // growth, so the caller keeps what the window lists of them
  // (WindowPrograms::leaving). The caller leaves a margin for samples still
  // queued behind the exit.
  std::vector<std::shared_ptr<ProcessState>> remove_exited(std::int64_t exited_before_ns);

  // Drops exited processes (their windows have closed) and those without a
  // sample since window `idle_before` (a missed exit, or idle: re-read if
  // they run again), so the table does not grow with the host's history.
  // Returns the pids dropped.
  std::vector<std::uint32_t> remove_exited_and_idle(std::uint64_t idle_before);

  // Forgets every process (their runtime handlers are destroyed); returns
  // their pids.
  std::vector<std::uint32_t> clear();

  // Live processes with a handler still setting up (ProcessState::setting_up).
  void setting_up(std::vector<std::shared_ptr<ProcessState>>& out) const;

  // Profiled (not filtered out) processes with a sample in window `since` or later.
  void sampled_since(std::uint64_t since, std::vector<std::uint32_t>& out) const;

  std::size_t size() const { return processes_.size(); }

 private:
  // Shared: a sample captured but not yet named keeps the entry it was
  // captured with, should the table drop it meanwhile.
  std::unordered_map<std::uint32_t, std::shared_ptr<ProcessState>> processes_;
  std::unique_ptr<ProcessLabeler> labeler_;
  ExecImageLookup exec_images_;
  std::unordered_map<std::uint32_t, std::int64_t> recent_exits_;  // pid -> exit time
  std::uint64_t entries_made_ = 0;

  void read(std::uint32_t pid, ProcessState& state);
};

}  // namespace ember
