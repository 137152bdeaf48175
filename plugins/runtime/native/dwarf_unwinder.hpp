// DWARF (CFI) unwinding of one process' user stack with libunwind's remote
// API, over the stack snapshot the sampler copied: registers and stack come
// from the sample record, .eh_frame_hdr / .eh_frame and code from the mapped
// ELF files (UnwindObject, shared by build id), never from the live process.
// A frame whose CFI rule is of the common forms is stepped here
// (cfi_rule.hpp); libunwind steps the others, reading their rule each time.
// A sample whose registers and stack words are an earlier one's replays its
// frames (unwind_memo.hpp).
// A frame whose code has no CFI (a JIT's) is stepped over by the rule of the
// plugin that owns the code (Host::unwind_rule), when one does.
// Called from one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ember/bpf/sample.h"
#include "ember/host.hpp"
#include "ember/proc_maps.hpp"
#include "unwind_memo.hpp"
#include "unwind_object.hpp"
#include "unwind_object_cache.hpp"

namespace ember::native {

class DwarfUnwinder {
 public:
  DwarfUnwinder(std::uint32_t pid, std::string root, std::shared_ptr<UnwindObjectCache> cache,
                Host& host);
  ~DwarfUnwinder();
  DwarfUnwinder(const DwarfUnwinder&) = delete;
  DwarfUnwinder& operator=(const DwarfUnwinder&) = delete;

  // The process' mappings (sorted, as /proc/PID/maps) changed; shared with
  // the symbolizer, not copied: a host's processes hold tens of thousands.
  void set_maps(std::shared_ptr<const std::vector<Mapping>> maps);
  void set_maps(const std::vector<Mapping>& maps) {
    set_maps(std::make_shared<const std::vector<Mapping>>(maps));
  }

  // The object behind the mapping holding `address`, opened on first use;
  // `bias` gets its load bias. nullptr outside file mappings.
  const UnwindObject* object_at(std::uint64_t address, std::uint64_t* bias = nullptr);
  // Every executable file mapping's object, for the snapshot policy.
  std::vector<std::pair<std::string, const UnwindObject*>> executable_objects();

  // Unwinds `sample` (which must carry a snapshot) into `frames`, leaf
  // first, at most `max_frames`. `stop` is asked after each frame is added;
  // it must depend only on the frames and the sample.
  using StopAt = std::function<bool(const std::vector<UnwoundFrame>& frames)>;
  UnwindEnd unwind(const ember_sample& sample, std::size_t max_frames,
                   std::vector<UnwoundFrame>& frames, const StopAt& stop = {});

  // Whether frames whose CFI rule is of the common forms are stepped here
  // (cfi_rule.hpp) rather than by libunwind; on unless turned off (tests
  // compare the two).
  void set_own_cfi(bool on) { own_cfi_ = on; }

  // Reads 8 bytes of the snapshot (while unwinding) or of a mapped file; for
  // the accessors.
  bool read_word(std::uint64_t address, std::uint64_t& value);
  // Whether the code at `pc` has CFI (its FDE in .eh_frame_hdr's table).
  bool has_cfi(std::uint64_t pc);
  // libunwind's find_proc_info for `ip`.
  int find_proc_info(void* address_space, std::uint64_t ip, void* proc_info, int need_unwind_info,
                     void* arg);
  const ember_sample* current() const { return sample_; }
  // The registers the unwind starts from: the sample's, then, after a frame
  // stepped over here (signal return, `ret`, an UnwindRule), its caller's.
  // rbx is there for code that keeps its CFA in it; it can be unknown after
  // a step (saved outside the snapshot).
  struct Registers {
    std::uint64_t ip = 0, sp = 0, bp = 0, bx = 0;
    bool bx_known = true;
  };
  const Registers& registers() const { return registers_; }
  // libunwind asked for rbx: a replay of this unwind needs the same rbx.
  void note_bx_read() {
    if (sample_) memo_.note_bx_read();
  }

  // Signal frames. The kernel delivers a signal by pushing a ucontext (the
  // interrupted registers) and a return address, the handler's
  // sa_restorer, then runs the handler. That trampoline is
  // `mov $15, %rax; syscall` (rt_sigreturn) in glibc, musl and the Go
  // runtime (runtime.sigreturn, which has no CFI) alike; when the handler
  // returns, sp points at the ucontext.
  // Whether `pc` is such a trampoline's first instruction.
  bool is_signal_return(std::uint64_t pc);
  // The registers the signal interrupted, from the ucontext at `ucontext`
  // in `sample`'s snapshot.
  bool interrupted_registers(const ember_sample& sample, std::uint64_t ucontext, Registers& out);
  // Stacks remembered for replay; for tests.
  std::size_t memo_entries() const { return memo_.size(); }

  // Frees what the next unwind rebuilds: the replay memo, the mappings'
  // objects (unwind_state_lru.hpp). Not while unwinding.
  void drop_state();
  bool holds_state() const { return memo_.size() || !objects_.empty(); }

 private:
  struct MappedObject {
    bool opened = false;
    std::shared_ptr<const UnwindObject> object;
    std::optional<std::uint64_t> bias;
  };
  const Mapping* mapping_at(std::uint64_t address, std::size_t& index);
  // libunwind's address space over these accessors, uncached, this thread's.
  static void* address_space();
  MappedObject& open(std::size_t index);
  // The caller of `frame` by the rule of the plugin owning its code, when
  // the code has no CFI: `stepped`, or `failed` when the words the rule
  // reads are not in the snapshot (the stack goes on, unknown here).
  enum class RuleStep { none, stepped, failed };
  RuleStep step_by_rule(const UnwoundFrame& frame, Registers& caller);
  // The caller of `frame` by its CFI rule read here, when the rule is of
  // the forms followed and every word it reads is there; `bx_saved`: rbx
  // was restored too (else it is the frame's). False leaves it to libunwind.
  bool step_by_cfi(const UnwoundFrame& frame, Registers& caller, bool& bx_saved);
  // The interrupted code's registers when `frame` is a signal return
  // trampoline (sampled at it, or returned to).
  bool step_over_signal_return(const UnwoundFrame& frame, Registers& caller);
  // The caller of a sampled frame stopped on a `ret` instruction: the
  // return address at sp, every other register already the caller's.
  bool step_over_return(const UnwoundFrame& frame, Registers& caller);

  std::uint32_t pid_;
  std::string root_;
  std::shared_ptr<UnwindObjectCache> cache_;
  Host& host_;
  std::shared_ptr<const std::vector<Mapping>> maps_ =
      std::make_shared<const std::vector<Mapping>>();
  std::vector<MappedObject> objects_;
  std::size_t last_mapping_ = 0;
  bool own_cfi_ = true;
  const ember_sample* sample_ = nullptr;
  Registers registers_;
  UnwindMemo memo_;
};

}  // namespace ember::native
