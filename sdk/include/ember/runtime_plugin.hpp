// Runtime plugins: how ember learns to name the frames of a language runtime.
//
// The host drives a runtime plugin through five steps; each is cheap when
// repeated because the expensive work is cached at the step that owns it.
//
// 1. Configure, once: the plugin reads its [runtime.<name>] options and, if it
//    walks its interpreter in BPF, loads its BPF object with the sampler's maps
//    reused (Host::bpf_map_fd) and registers its program (Host::register_bpf_program).
//
// 2. Probe, once per binary: for every distinct ELF object a process maps (keyed
//    by build id, or file identity without one) the host asks "is this yours?".
//    The answer is nullptr or per-binary data derived from the file alone
//    (symbol addresses, version, struct offsets). The host caches it: a thousand
//    Python processes cost one probe.
//
// 3. Attach, once per process: when a process maps an object the plugin claimed
//    (or for every process, if the plugin handles_every_process()), the host
//    creates a ProcessHandler. The handler writes what its BPF program needs for
//    this pid and routes the pid to its program (Host::set_process_program).
//
// 4. Symbolize, per sample: the handler turns the record's raw values into
//    Frames, caching by raw value so the steady state is lookups only. The
//    native role unwinds the user stack into code addresses (unwind_user) and
//    names an address when the host asks (symbolize_native): the host sees
//    every address between the two steps. Interpreter handlers produce their
//    frames in groups, one group per native interpreter frame
//    (is_interpreter_frame), and the host splices each group in place of that
//    native frame: the one whose stack range holds the group's anchor (a
//    stack address the runtime's BPF program recorded inside that frame),
//    else, for groups without one, the next such frame by position. Between
//    two groups, the host drops the native frames the handler calls its call
//    machinery (is_call_machinery: the eval loop's trampolines, which the
//    groups replace) and keeps the others (builtins, C extensions, libc). So
//    every runtime merges with native code the same way.
//
// 5. Refresh and detach: mapping changes reach on_mappings_changed (as does
//    a re-read about once a second while a handler says setting_up()); the
//    handler's destructor runs when the process has exited and the window
//    holding its last samples has closed. It must clear its BPF state.
//
// Several plugins may serve one process (native + JVM + a JNI library's;
// Python calling a Go c-shared library): the native role and one handler of
// each plugin that claimed a binary the process maps, at most one per
// plugin. Each offers what it implements, and the host merges them per
// sample in this order:
//   a. the native role unwinds the user stack into code addresses;
//   b. each address is named by the handler claiming it (the address
//      symbolizer, below), else by the native role (symbolize_native);
//   c. the frame groups of the one handler whose BPF program ran for the
//      sample (ember_sample::runtime_program) replace its interpreter frames
//      among those (step 4);
//   d. the kernel frames go on top.
//
// The address symbolizer: a handler names code the native plugin cannot
// (JIT code, a perf map's range, a stripped Go binary's text) by claiming
// executable ranges of its process (code_ranges, asked after attach and
// after every on_mappings_changed). Per sample, the host calls
// symbolize_frames (by default symbolize_addresses) once per claiming
// handler with all of that sample's addresses in its ranges. Overlapping claims: the narrowest range wins,
// then the handler attached last. The host caches each answer by (mapping
// identity: the file's device and inode, or an anonymous mapping's start;
// address) while that mapping stays, at most 16384 addresses per process
// (then it starts over), and drops the cache with the process' handlers;
// ranges marked !cacheable are asked every time.
//
// Mappings that appear after start (a dlopen, JIT code): when a sample has
// a user address outside every mapping the host knows of its process, the
// host re-reads its maps, at most once per 200 ms per process. If they
// changed, the handlers get on_mappings_changed, every executable file the
// process maps is offered to the probing plugins (probes cached by build id
// as in step 2), the plugins claiming one that have no handler for the
// process yet are attached too, and every handler's code_ranges is asked
// again, before the sample is named. Addresses still outside every mapping
// after a read (walk garbage) trigger no further read until the maps change.
//
// Every call into a plugin's handlers comes from one thread (the host's
// reader).
//
// Exceptions never cross this boundary: failures are Status values or empty
// results, and a plugin that cannot name a frame still returns one
// ("libfoo.so+0x1a2b"), never nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ember/bpf/sample.h"
#include "ember/frame.hpp"
#include "ember/host.hpp"
#include "ember/options.hpp"
#include "ember/window.hpp"
#include "ember/proc_maps.hpp"
#include "ember/status.hpp"

namespace ember {

// One ELF object mapped by some process.
struct BinaryRef {
  std::string path;       // as the process names it: /usr/lib/x86_64-linux-gnu/libc.so.6
  std::string open_path;  // openable by the agent: /proc/PID/root/usr/lib/...
  std::string build_id;   // lowercase hex, empty when the object has none
};

// What a plugin learned about one binary in probe(); opaque to the host.
class BinaryData {
 public:
  virtual ~BinaryData() = default;
};

struct ProcessRef {
  std::uint32_t pid = 0;
  std::string root;  // "/proc/PID/root"
  std::string exe;   // as the process names it
  const std::vector<Mapping>* mappings = nullptr;  // sorted; valid during the call
};

// One native frame of a sample's user stack, as unwound.
struct NativeFrame {
  // Code address: the exact IP for the leaf; above it a return address
  // already moved back into its call instruction (so it names the caller,
  // even when the call is a function's last instruction).
  std::uint64_t pc = 0;
  // The frame's canonical frame address (its caller's sp just before the
  // call), 0 when the unwinder does not know it. Frame-pointer walks know
  // it for processes a runtime program walks (the sampler records their
  // frame pointers: ember_sample::user_frame_addresses).
  std::uint64_t cfa = 0;
};

// A sample's user stack as code addresses, what the native role unwinds.
struct NativeStack {
  std::vector<NativeFrame> leaf_first;
  // The stack goes on beyond the last frame (the unwinder gave up): the host
  // puts a "[truncated]" frame rootward of it.
  bool truncated = false;
};

// An executable range of a process whose addresses one handler names
// (ProcessHandler::code_ranges).
struct CodeRange {
  std::uint64_t start = 0;
  std::uint64_t end = 0;  // exclusive
  // The host may keep the frames named for an address of this range while
  // the mapping holding it stays. False where code at an address can change
  // without a mapping change (a JIT reusing its code cache): the host then
  // asks every time, and the handler caches what it can.
  bool cacheable = true;
};

// The interpreter frames one native interpreter frame (one call of the eval
// loop) ran, leaf first.
struct RuntimeFrameGroup {
  std::vector<FrameHandle> frames;
  // A user stack address inside that native frame (CPython 3.11+: the eval
  // call's _PyCFrame or entry frame, which live on its C stack), from the
  // sample's runtime_anchors; 0 = none. Native frame i spans from its
  // callee's CFA up to its own CFA, so the host finds the frame without
  // counting: a call that has entered the eval loop but not yet pushed its
  // frame (or popped it, not yet returned) is no longer taken for the next
  // group's. Groups without an anchor, or whose anchor is in no frame the
  // host knows the extent of, take the next interpreter frame rootward of
  // the previous group's.
  std::uint64_t anchor = 0;
};

// Interpreter frames of one sample, leaf-most group first.
using RuntimeFrameGroups = std::vector<RuntimeFrameGroup>;

class ProcessHandler {
 public:
  virtual ~ProcessHandler() = default;

  // Native role: the user stack of the sample as code addresses, leaf first
  // (`stack` arrives empty). Called once per sample, before any naming.
  virtual void unwind_user(const ember_sample& sample, NativeStack& stack) {
    (void)sample;
    (void)stack;
  }

  // Native role: appends the frames of one code address of this process
  // (a NativeFrame::pc), innermost first: several for inlined functions,
  // at least one ("libfoo.so+0x1a2b", "[unknown]+0x...") when unnamed.
  virtual void symbolize_native(std::uint64_t pc, std::vector<FrameHandle>& leaf_first) {
    (void)pc;
    (void)leaf_first;
  }

  // Interpreter role: the sample's runtime_frames (those this plugin's BPF
  // program recorded) as named frames.
  virtual void symbolize_runtime(const ember_sample& sample, RuntimeFrameGroups& groups) {
    (void)sample;
    (void)groups;
  }

  // Interpreter role: a native frame the interpreter's frames replace
  // (CPython: _PyEval_EvalFrameDefault).
  virtual bool is_interpreter_frame(const Frame& native) const {
    (void)native;
    return false;
  }

  // Interpreter role: asked for the native frames between two groups. True
  // for the runtime's call machinery, which only carries a call from one
  // interpreted frame to the next (CPython: _PyFunction_Vectorcall,
  // slot_tp_richcompare), so the host drops it; false for C code worth
  // showing (builtin_max, C extensions, libc), which stays in place. See
  // ember/call_machinery.hpp for a pattern list that implements it. Addresses
  // outside code ([unknown], [heap], [stack]) are dropped without asking.
  virtual bool is_call_machinery(const Frame& native) const {
    (void)native;
    return false;
  }

  // Address symbolizer: appends the executable ranges of this process whose
  // addresses this handler names. Asked after attach and again after every
  // on_mappings_changed; none by default.
  virtual void code_ranges(std::vector<CodeRange>& ranges) const { (void)ranges; }

  // Address symbolizer: names `pcs` (NativeFrame::pc values in this
  // handler's ranges: all of one sample's, leaf first, repeats kept).
  // `frames` has one empty vector per pc; append the frames of pcs[i] to
  // frames[i], innermost first. A pc left without frames is named by the
  // native role.
  virtual void symbolize_addresses(std::span<const std::uint64_t> pcs,
                                   std::vector<std::vector<FrameHandle>>& frames) {
    (void)pcs;
    (void)frames;
  }

  // The process mapped or unmapped something (dlopen, JIT code).
  virtual void on_mappings_changed(const ProcessRef& process) { (void)process; }

  // Labels of this sample (ABI 5): a goroutine's or thread's name, a
  // request's route. Appended to `out`, which other handlers of the process
  // may have filled first; samples with other labels are counted apart.
  // Keep the distinct values few (names, not ids): each set costs a row.
  virtual void labels(const ember_sample& sample, std::vector<Label>& out) {
    (void)sample;
    (void)out;
  }

  // Unwind help: how to step over a frame at `pc`, in code this handler
  // claims (code_ranges) and that has no CFI (a JIT's), for the native
  // unwinder (Host::unwind_rule; ember/unwind_rule.hpp). False: unknown.
  // Used in userspace only: the BPF frame-pointer walk does not ask.
  virtual bool unwind_rule(std::uint64_t pc, UnwindRule& rule) const {
    (void)pc;
    (void)rule;
    return false;
  }

  // Address symbolizer, given each address' frame: what the host calls. For
  // code whose name lives in its frame, not at its address (an interpreter
  // that keeps its method pointer in its frame: read it from the sample's
  // stack_snapshot, user_sp up, NativeFrame::cfa down). `frames` are this
  // handler's NativeFrames of one sample, as for symbolize_addresses. By
  // default their pcs go to symbolize_addresses.
  virtual void symbolize_frames(const ember_sample& sample, std::span<const NativeFrame> frames,
                                std::vector<std::vector<FrameHandle>>& named) {
    (void)sample;
    std::vector<std::uint64_t> pcs;
    pcs.reserve(frames.size());
    for (const NativeFrame& frame : frames) pcs.push_back(frame.pc);
    symbolize_addresses(pcs, named);
  }

  // Still setting up (ABI 6.2): true while what this handler needs in its
  // process is not there yet and no mapping change may come when it is (a
  // VM whose tables fill in after its last mmap, then idles or runs code it
  // had mapped already). The host then re-reads the maps about once a
  // second and calls on_mappings_changed, changed or not, and code_ranges
  // after it, until this says false. Asked after attach and after every
  // on_mappings_changed; only on plugins built for ABI 6.2 or later.
  virtual bool setting_up() const { return false; }
};

class RuntimePlugin {
 public:
  virtual ~RuntimePlugin() = default;

  // Its config section is [runtime.<name>].
  virtual std::string_view name() const = 0;

  // Once, before any other call. `host` outlives the plugin.
  virtual Status configure(const Options& options, Host& host) = 0;

  // True for the native plugin: attached to every process without probing.
  virtual bool handles_every_process() const { return false; }

  // Is this binary mine? nullptr = no.
  virtual std::shared_ptr<const BinaryData> probe(const BinaryRef& binary) {
    (void)binary;
    return nullptr;
  }

  // A handler for one process; `data` is what probe() returned for the
  // binary that made the process ours (nullptr for handles_every_process).
  // nullptr when the process cannot be handled after all (logged by the plugin).
  virtual std::unique_ptr<ProcessHandler> attach(const ProcessRef& process,
                                                 std::shared_ptr<const BinaryData> data) = 0;

  // Kernel addresses (native plugin only), leaf first.
  virtual void symbolize_kernel(std::span<const __u64> addresses,
                                std::vector<FrameHandle>& leaf_first) {
    (void)addresses;
    (void)leaf_first;
  }
};

}  // namespace ember
