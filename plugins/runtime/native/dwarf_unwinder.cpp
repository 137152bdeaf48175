#include "dwarf_unwinder.hpp"

#include <libunwind.h>
#include <sys/ucontext.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "cfi_rule.hpp"
#include "mapped_file.hpp"

// Not in libunwind's public headers, but exported: the .eh_frame_hdr binary
// search perf uses for remote unwinding (tools/perf/util/unwind-libunwind-local.c).
extern "C" int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as, unw_word_t ip,
                                                  unw_dyn_info_t* di, unw_proc_info_t* pi,
                                                  int need_unwind_info, void* arg);

namespace ember::native {
namespace {

DwarfUnwinder& self(void* arg) { return *static_cast<DwarfUnwinder*>(arg); }

bool snapshot_word(const ember_sample& sample, std::uint64_t address, std::uint64_t& value) {
  std::uint64_t size = std::min<std::uint64_t>(sample.snapshot_size, EMBER_MAX_STACK_SNAPSHOT);
  if (address < sample.user_sp || address - sample.user_sp + 8 > size) return false;
  std::memcpy(&value, sample.stack_snapshot + (address - sample.user_sp), 8);
  return true;
}

// Where the interrupted registers are in the kernel's ucontext (x86-64).
constexpr std::uint64_t ucontext_register(int reg) {
  return offsetof(ucontext_t, uc_mcontext.gregs) + static_cast<std::uint64_t>(reg) * 8;
}

int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t* pi, int need_unwind_info,
                   void* arg) {
  return self(arg).find_proc_info(as, ip, pi, need_unwind_info, arg);
}

// libunwind frees what dwarf_search_unwind_table allocated itself.
void put_unwind_info(unw_addr_space_t, unw_proc_info_t*, void*) {}

int get_dyn_info_list_addr(unw_addr_space_t, unw_word_t*, void*) { return -UNW_ENOINFO; }

int access_mem(unw_addr_space_t, unw_word_t address, unw_word_t* value, int write, void* arg) {
  if (write) return -UNW_EINVAL;
  std::uint64_t word = 0;
  if (!self(arg).read_word(address, word)) return -UNW_EINVAL;
  *value = word;
  return 0;
}

int access_reg(unw_addr_space_t, unw_regnum_t reg, unw_word_t* value, int write, void* arg) {
  if (write) return -UNW_EINVAL;
  const DwarfUnwinder::Registers& registers = self(arg).registers();
  switch (reg) {
    case UNW_X86_64_RIP:
      *value = registers.ip;
      return 0;
    case UNW_X86_64_RSP:
      *value = registers.sp;
      return 0;
    case UNW_X86_64_RBP:
      *value = registers.bp;
      return 0;
    case UNW_X86_64_RBX:
      if (!registers.bx_known) return -UNW_EBADREG;
      self(arg).note_bx_read();
      *value = registers.bx;
      return 0;
    default:
      return -UNW_EBADREG;  // not in the record: a CFA based on it fails the step
  }
}

int access_fpreg(unw_addr_space_t, unw_regnum_t, unw_fpreg_t*, int, void*) { return -UNW_EINVAL; }
int resume(unw_addr_space_t, unw_cursor_t*, void*) { return -UNW_EINVAL; }
int get_proc_name(unw_addr_space_t, unw_word_t, char*, size_t, unw_word_t*, void*) {
  return -UNW_EINVAL;
}

unw_accessors_t accessors = {find_proc_info, put_unwind_info, get_dyn_info_list_addr,
                             access_mem,     access_reg,      access_fpreg,
                             resume,         get_proc_name};

}  // namespace

DwarfUnwinder::DwarfUnwinder(std::uint32_t pid, std::string root,
                             std::shared_ptr<UnwindObjectCache> cache, Host& host)
    : pid_(pid), root_(std::move(root)), cache_(std::move(cache)), host_(host) {}

DwarfUnwinder::~DwarfUnwinder() = default;

void DwarfUnwinder::set_maps(std::shared_ptr<const std::vector<Mapping>> shared) {
  // Keep objects of mappings that did not move.
  const std::vector<Mapping>& maps = *shared;
  std::vector<MappedObject> objects(maps.size());
  for (std::size_t i = 0; i < maps.size(); ++i) {
    const Mapping* old = find_mapping(*maps_, maps[i].start);
    if (old && objects_.size() == maps_->size() && old->start == maps[i].start &&
        old->end == maps[i].end && old->offset == maps[i].offset && old->inode == maps[i].inode &&
        old->path == maps[i].path) {
      objects[i] = std::move(objects_[static_cast<std::size_t>(old - maps_->data())]);
    }
  }
  maps_ = std::move(shared);
  objects_ = std::move(objects);
  last_mapping_ = 0;
  memo_.clear();
}

void DwarfUnwinder::drop_state() {
  memo_.release();
  objects_ = {};
  last_mapping_ = 0;
}

const Mapping* DwarfUnwinder::mapping_at(std::uint64_t address, std::size_t& index) {
  const std::vector<Mapping>& maps = *maps_;
  if (last_mapping_ < maps.size() && maps[last_mapping_].start <= address &&
      address < maps[last_mapping_].end) {
    index = last_mapping_;
    return &maps[index];
  }
  const Mapping* mapping = find_mapping(maps, address);
  if (!mapping) return nullptr;
  index = last_mapping_ = static_cast<std::size_t>(mapping - maps.data());
  return mapping;
}

DwarfUnwinder::MappedObject& DwarfUnwinder::open(std::size_t index) {
  if (objects_.size() != maps_->size()) objects_.resize(maps_->size());  // after drop_state()
  MappedObject& entry = objects_[index];
  if (entry.opened) return entry;
  entry.opened = true;
  const Mapping& mapping = (*maps_)[index];
  if (mapping.path == "[vdso]") {
    entry.object = UnwindObject::own_vdso();
    if (entry.object) entry.bias = entry.object->load_bias(mapping.start, 0);
    return entry;
  }
  if (!mapping.is_file()) return entry;
  MappedFile file;
  if (Status status = MappedFile::open(pid_, root_, mapping, file); !status) {
    host_.log(LogLevel::debug, "pid " + std::to_string(pid_) + ": " + status.message());
    return entry;
  }
  entry.object = cache_->get(file, mapping.path);
  if (entry.object) entry.bias = entry.object->load_bias(mapping.start, mapping.offset);
  return entry;
}

const UnwindObject* DwarfUnwinder::object_at(std::uint64_t address, std::uint64_t* bias) {
  std::size_t index = 0;
  if (!mapping_at(address, index)) return nullptr;
  MappedObject& entry = open(index);
  if (!entry.object || !entry.bias) return nullptr;
  if (bias) *bias = *entry.bias;
  return entry.object.get();
}

std::vector<std::pair<std::string, const UnwindObject*>> DwarfUnwinder::executable_objects() {
  std::vector<std::pair<std::string, const UnwindObject*>> out;
  const std::vector<Mapping>& maps = *maps_;
  for (std::size_t i = 0; i < maps.size(); ++i) {
    if (!maps[i].executable || !maps[i].is_file()) continue;
    out.emplace_back(maps[i].path, open(i).object.get());
  }
  return out;
}

bool DwarfUnwinder::read_word(std::uint64_t address, std::uint64_t& value) {
  if (sample_ && snapshot_word(*sample_, address, value)) {
    memo_.note_read(address, value);
    return true;
  }
  std::size_t index = 0;
  const Mapping* mapping = mapping_at(address, index);
  // The stack beyond the snapshot is unknown, and writable memory differs
  // from the file: only read-only file contents are served.
  if (!mapping || (!mapping->is_file() && mapping->path != "[vdso]")) return false;
  MappedObject& entry = open(index);
  if (!entry.object) return false;
  return entry.object->read(address - mapping->start + mapping->offset, &value, 8);
}

int DwarfUnwinder::find_proc_info(void* address_space, std::uint64_t ip, void* proc_info,
                                  int need_unwind_info, void* arg) {
  std::size_t index = 0;
  const Mapping* mapping = mapping_at(ip, index);
  if (!mapping) return -UNW_ENOINFO;
  MappedObject& entry = open(index);
  if (!entry.object || !entry.bias || !entry.object->search_table()) return -UNW_ENOINFO;
  const UnwindObject::SearchTable table = entry.object->search_span(ip - *entry.bias);
  unw_dyn_info_t info;
  std::memset(&info, 0, sizeof(info));
  info.format = UNW_INFO_FORMAT_REMOTE_TABLE;
  info.start_ip = mapping->start;
  info.end_ip = mapping->end;
  info.u.rti.segbase = *entry.bias + table.header_vaddr;
  info.u.rti.table_data = *entry.bias + table.table_vaddr;
  // Entries are two 4-byte words; the length is counted in unw_word_t.
  info.u.rti.table_len = table.entries * 8 / sizeof(unw_word_t);
  return UNW_OBJ(dwarf_search_unwind_table)(static_cast<unw_addr_space_t>(address_space), ip, &info,
                                            static_cast<unw_proc_info_t*>(proc_info),
                                            need_unwind_info, arg);
}

void* DwarfUnwinder::address_space() {
  // One per thread, for every process: without a cache nothing in it is a
  // process' (the accessors get the unwinder as their argument). A cache
  // per process cost ~27 KB each, ~1,024 entries more on the full snapshot,
  // for the few frames (CFA expressions, signal frames) stepped here by
  // libunwind, which then re-reads their rule.
  struct SharedSpace {
    unw_addr_space_t space = nullptr;
    SharedSpace() {
      space = unw_create_addr_space(&accessors, 0);
      if (space) unw_set_caching_policy(space, UNW_CACHE_NONE);
    }
    ~SharedSpace() {
      if (space) unw_destroy_addr_space(space);
    }
  };
  thread_local SharedSpace shared;
  return shared.space;
}

bool DwarfUnwinder::has_cfi(std::uint64_t pc) {
  void* space = address_space();
  unw_proc_info_t info;
  return space && find_proc_info(space, pc, &info, 0, this) == 0;
}

DwarfUnwinder::RuleStep DwarfUnwinder::step_by_rule(const UnwoundFrame& frame,
                                                    Registers& caller) {
  // A return address may be the first byte after its function: look up the call.
  std::uint64_t pc = frame.exact ? frame.ip : frame.ip - 1;
  UnwindRule rule;
  if (!host_.unwind_rule(pid_, pc, rule) || has_cfi(pc)) return RuleStep::none;
  // From here the code is the plugin's: libunwind, which knows nothing of
  // it, would take a failed read for the end of the stack.
  if (rule.cfa_base == UnwindRule::CfaBase::bp && !frame.bp_known) return RuleStep::failed;
  std::uint64_t base = rule.cfa_base == UnwindRule::CfaBase::sp ? frame.sp : frame.bp;
  std::uint64_t cfa = base + static_cast<std::uint64_t>(static_cast<std::int64_t>(rule.cfa_offset));
  // The caller's frame lies above: a wrong rule would loop.
  if (cfa <= frame.sp) return RuleStep::failed;
  auto at = [&](std::int32_t offset) {
    return cfa + static_cast<std::uint64_t>(static_cast<std::int64_t>(offset));
  };
  caller.sp = cfa;
  caller.bp = frame.bp;
  if (!read_word(at(rule.return_address_offset), caller.ip)) return RuleStep::failed;
  if (rule.saves_bp && !read_word(at(rule.saved_bp_offset), caller.bp)) return RuleStep::failed;
  return RuleStep::stepped;
}

bool DwarfUnwinder::is_signal_return(std::uint64_t pc) {
  // Asked of every frame: the object knows its trampolines, no code is read.
  std::size_t index = 0;
  const Mapping* mapping = mapping_at(pc, index);
  if (!mapping || (!mapping->is_file() && mapping->path != "[vdso]")) return false;
  MappedObject& entry = open(index);
  return entry.object && entry.object->signal_return_at(pc - mapping->start + mapping->offset);
}

bool DwarfUnwinder::interrupted_registers(const ember_sample& sample, std::uint64_t ucontext,
                                          Registers& out) {
  out.bx_known = snapshot_word(sample, ucontext + ucontext_register(REG_RBX), out.bx);
  return snapshot_word(sample, ucontext + ucontext_register(REG_RIP), out.ip) &&
         snapshot_word(sample, ucontext + ucontext_register(REG_RSP), out.sp) &&
         snapshot_word(sample, ucontext + ucontext_register(REG_RBP), out.bp);
}

bool DwarfUnwinder::step_over_signal_return(const UnwoundFrame& frame, Registers& caller) {
  // Returned to (a handler's return address is the first instruction), or
  // sampled at the syscall or in it (the ip after it): sp is at the
  // ucontext in each case.
  auto at = [&](std::uint64_t offset) {
    return frame.ip >= offset && is_signal_return(frame.ip - offset);
  };
  bool at_syscall = frame.exact && (at(7) || at(9));
  if (!at_syscall && !is_signal_return(frame.ip)) return false;
  if (!interrupted_registers(*sample_, frame.sp, caller)) return false;
  memo_.note_read(frame.sp + ucontext_register(REG_RIP), caller.ip);
  memo_.note_read(frame.sp + ucontext_register(REG_RSP), caller.sp);
  memo_.note_read(frame.sp + ucontext_register(REG_RBP), caller.bp);
  if (caller.bx_known) memo_.note_read(frame.sp + ucontext_register(REG_RBX), caller.bx);
  return caller.ip != 0;
}

bool DwarfUnwinder::step_by_cfi(const UnwoundFrame& frame, Registers& caller, bool& bx_saved) {
  if (!own_cfi_) return false;
  // A return address is looked up one byte back: the call may be the
  // function's last instruction.
  const std::uint64_t pc = frame.exact ? frame.ip : frame.ip - 1;
  std::uint64_t bias = 0;
  const UnwindObject* object = object_at(pc, &bias);
  CfiRule rule;
  if (!object || cfi_rule_at(*object, pc - bias, rule) != CfiLookup::found) return false;
  if (rule.cfa_base == CfiRule::Base::bp && !frame.bp_known) return false;
  const std::uint64_t cfa = (rule.cfa_base == CfiRule::Base::sp ? frame.sp : frame.bp) +
                            static_cast<std::uint64_t>(rule.cfa_offset);
  auto at = [cfa](std::int64_t offset) { return cfa + static_cast<std::uint64_t>(offset); };
  if (rule.return_address_undefined) {  // the outermost frame
    caller = Registers{};
    return true;
  }
  // The caller's frame is above this one; a CFA at or below sp is a stack
  // that is not what the rule expects (libunwind then decides).
  if (cfa <= frame.sp) return false;
  Registers next;
  next.sp = cfa;
  if (!read_word(at(rule.return_address_offset), next.ip)) return false;
  if (rule.bp == CfiRule::Saved::at_offset) {
    if (!read_word(at(rule.bp_offset), next.bp)) return false;
  } else {
    if (!frame.bp_known) return false;
    next.bp = frame.bp;
  }
  bx_saved = rule.bx == CfiRule::Saved::at_offset;
  if (bx_saved && !read_word(at(rule.bx_offset), next.bx)) return false;
  caller = next;
  return true;
}

bool DwarfUnwinder::step_over_return(const UnwoundFrame& frame, Registers& caller) {
  // GCC's CFI at the `ret` after `pop %rbp` still says rbp is saved at
  // CFA-16, below sp and so outside the snapshot: libunwind would lose rbp
  // there, and with it every caller found through rbp.
  std::uint64_t code = 0;
  if (!frame.bp_known || !read_word(frame.ip, code)) return false;
  bool ret = (code & 0xff) == 0xc3 || (code & 0xffff) == 0xc3f3;  // ret, rep ret
  if (!ret) return false;
  caller.sp = frame.sp + 8;
  caller.bp = frame.bp;
  return read_word(frame.sp, caller.ip);
}

UnwindEnd DwarfUnwinder::unwind(const ember_sample& sample, std::size_t max_frames,
                                std::vector<UnwoundFrame>& frames, const StopAt& stop) {
  frames.clear();
  if (const UnwindMemo::Entry* seen = memo_.find(sample, max_frames)) {
    for (const UnwoundFrame& frame : seen->frames) {
      frames.push_back(frame);
      if (stop && stop(frames)) return UnwindEnd::stopped;
    }
    if (seen->end != UnwindEnd::stopped) return seen->end;
    // That unwind was stopped here and this one is not: go on for real.
    frames.clear();
  }
  auto space = static_cast<unw_addr_space_t>(address_space());
  if (!space) return UnwindEnd::failed;
  sample_ = &sample;
  registers_ = {sample.user_ip, sample.user_sp, sample.user_bp, sample.user_bx};
  memo_.begin(sample, max_frames);
  unw_cursor_t cursor;
  UnwindEnd end = UnwindEnd::failed;
  bool exact_pc = true;  // the first frame's ip was sampled, the others are return addresses
  if (unw_init_remote(&cursor, space, this) == 0) {
    while (frames.size() < max_frames) {
      UnwoundFrame frame;
      unw_word_t value = 0;
      if (unw_get_reg(&cursor, UNW_REG_IP, &value) != 0 || value == 0) break;
      frame.ip = value;
      frame.exact = exact_pc;
      if (unw_get_reg(&cursor, UNW_REG_SP, &value) == 0) frame.sp = value;
      if (unw_get_reg(&cursor, UNW_X86_64_RBP, &value) == 0) {
        frame.bp = value;
        frame.bp_known = true;
      }
      frames.push_back(frame);
      if (stop && stop(frames)) {
        end = UnwindEnd::stopped;
        break;
      }
      // A signal frame, a sampled `ret`, or code without CFI that a plugin
      // knows how to step over: libunwind starts again from the caller's
      // registers. (It then looks up the caller's CFI at the return address
      // itself, not one byte before.)
      Registers caller;
      bool signal = step_over_signal_return(frame, caller);
      bool stepped = signal || (exact_pc && step_over_return(frame, caller));
      if (signal) frames.back().exact = true;  // named at the trampoline, not the code before it
      bool bx_saved = signal;
      if (!stepped) stepped = step_by_cfi(frame, caller, bx_saved);
      if (!stepped) {
        RuleStep rule = step_by_rule(frame, caller);
        if (rule == RuleStep::failed) break;
        stepped = rule == RuleStep::stepped;
      }
      if (stepped) {
        // A `ret`, a plugin's rule or CFI that keeps rbx leaves it as the
        // frame had it (asked of libunwind only now: a word it reads is one
        // more the replay of this stack depends on).
        if (!bx_saved) {
          caller.bx_known = unw_get_reg(&cursor, UNW_X86_64_RBX, &value) == 0;
          caller.bx = caller.bx_known ? value : 0;
        }
        // The interrupted code's ip is exact; a caller's is a return address.
        exact_pc = signal;
        if (caller.ip == 0) {
          end = UnwindEnd::complete;
          break;
        }
        registers_ = caller;
        if (unw_init_remote(&cursor, space, this) != 0) break;
        continue;
      }
      exact_pc = false;
      int step = unw_step(&cursor);
      if (step == 0) {
        end = UnwindEnd::complete;
        break;
      }
      if (step < 0) break;
    }
  }
  sample_ = nullptr;
  memo_.finish(frames, end);
  return end;
}

}  // namespace ember::native
