#include "sampler.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ember/bpf/sample.h"
#include "ember/text_file.hpp"
#include "errno_text.hpp"
#include "online_cpus.hpp"
#include "ring_reader.hpp"
#include "ring_size.hpp"
#include "sampler.skel.h"

namespace ember {
namespace {

// How deep the kernel walks a user stack for bpf_get_stack
// (kernel.perf_event_max_stack, 127 by default), within the record's array.
__u32 kernel_user_stack_depth() {
  std::string text;
  std::uint32_t depth = EMBER_MAX_USER_FRAMES;
  if (read_text_file("/proc/sys/kernel/perf_event_max_stack", text)) {
    try {
      depth = static_cast<std::uint32_t>(std::stoul(text));
    } catch (const std::exception&) {
    }
  }
  return std::min<std::uint32_t>(depth, EMBER_MAX_USER_FRAMES);
}

int open_perf_event(const SamplerOptions& options, int cpu) {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  if (options.event == "cycles") {
    attr.type = PERF_TYPE_HARDWARE;
    attr.config = PERF_COUNT_HW_CPU_CYCLES;
  } else {
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
  }
  attr.freq = 1;
  attr.sample_freq = options.frequency_hz;
  return static_cast<int>(syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

}  // namespace

Status Sampler::open(const SamplerOptions& options, std::unique_ptr<Sampler>& out) {
  std::unique_ptr<Sampler> sampler(new Sampler());
  sampler->options_ = options;

  sampler_bpf* skeleton = sampler_bpf::open();
  if (!skeleton) return Status::error("cannot open the BPF sampler: " + errno_text(errno));
  sampler->skeleton_ = skeleton;

  skeleton->rodata->agent_tgid = static_cast<__u32>(getpid());
  skeleton->rodata->filter_pids = options.pids.empty() ? 0 : 1;
  skeleton->rodata->follow_forks = options.follow_forks ? 1 : 0;
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return Status::error("cannot count the possible CPUs: " + errno_text(cpus));
  bpf_map__set_max_entries(skeleton->maps.ember_scratch, static_cast<__u32>(cpus));
  bpf_map__set_max_entries(skeleton->maps.ember_wire, static_cast<__u32>(cpus));
  sampler->ring_bytes_ = ring_bytes_for(options.ring_buffer_kib, options.frequency_hz,
                                        static_cast<std::uint32_t>(cpus),
                                        options.stack_snapshot_bytes, options.leaf_snapshot_bytes);
  bpf_map__set_max_entries(skeleton->maps.ember_events, sampler->ring_bytes_);
  // Wake the reader early only when a sixteenth of the buffer is pending,
  // well before any stack copy is cut (half, then three quarters:
  // sampler.bpf.c): 16 KiB snapshots on both CPUs at 999 Hz fill the half
  // in ~30 ms, and a reader a few ms late must not cut them.
  skeleton->rodata->wakeup_bytes = sampler->ring_bytes_ / 16;
  // ring_bytes_for() makes the ring at least four largest records.
  skeleton->rodata->max_pending_bytes =
      sampler->ring_bytes_ -
      largest_record_bytes(options.stack_snapshot_bytes, options.leaf_snapshot_bytes);
  skeleton->rodata->snapshot_cut_pending_bytes = sampler->ring_bytes_ / 2;
  skeleton->rodata->leaf_copy_drop_pending_bytes = sampler->ring_bytes_ / 4 * 3;
  skeleton->rodata->stack_snapshot_bytes = options.stack_snapshot_bytes;
  skeleton->rodata->leaf_snapshot_bytes = options.leaf_snapshot_bytes;
  skeleton->rodata->max_user_frames = kernel_user_stack_depth();

  if (int error = sampler_bpf::load(skeleton)) {
    return Status::error("cannot load the BPF sampler into the kernel: " + errno_text(error) +
                         " (is the kernel built with BTF, and is ember run as root?)");
  }

  std::uint8_t yes = 1;
  for (std::uint32_t pid : options.pids) {
    bpf_map__update_elem(skeleton->maps.ember_pid_filter, &pid, sizeof(pid), &yes, sizeof(yes),
                         BPF_ANY);
  }
  Status submit =
      sampler->set_program(EMBER_PROG_SUBMIT, bpf_program__fd(skeleton->progs.ember_submit_sample));
  if (!submit) return submit;

  for (bpf_program* program :
       {skeleton->progs.ember_process_exec, skeleton->progs.ember_process_exit,
        skeleton->progs.ember_process_fork}) {
    bpf_link* link = bpf_program__attach(program);
    if (!link) {
      return Status::error(std::string("cannot attach ") + bpf_program__name(program) + ": " +
                           errno_text(errno));
    }
    sampler->links_.push_back(link);
  }

  Status reader = RingReader::open(bpf_map__fd(skeleton->maps.ember_events), sampler->ring_bytes_,
                                   sampler->ring_);
  if (!reader) return Status::error("cannot open the ring buffer: " + reader.message());

  out = std::move(sampler);
  return Status::ok();
}

Status Sampler::start() {
  std::vector<int> online = online_cpus();
  if (online.empty()) return Status::error("cannot read /sys/devices/system/cpu/online");
  for (int cpu : online) {
    Status attached = attach_cpu(cpu);
    if (!attached) return attached;
  }
  return Status::ok();
}

void Sampler::stop() {
  stopped_ = true;
  for (bpf_link* link : cpu_links_) bpf_link__destroy(link);
  cpu_links_.clear();
}

Sampler::~Sampler() {
  stop();
  for (bpf_link* link : links_) bpf_link__destroy(link);
  ring_.reset();  // before the map it reads goes
  if (skeleton_) sampler_bpf::destroy(skeleton_);
}

Status Sampler::attach_cpu(int cpu) {
  int fd = open_perf_event(options_, cpu);
  if (fd < 0) {
    int error = errno;
    if (error == ENODEV) return Status::ok();  // CPU went offline meanwhile
    return Status::error("cannot open a " + options_.event + " perf event on CPU " +
                         std::to_string(cpu) + ": " + errno_text(error) +
                         (options_.event == "cycles" ? " (no hardware PMU? use cpu-clock)" : ""));
  }
  bpf_link* link = bpf_program__attach_perf_event(skeleton_->progs.ember_sample_cpu, fd);
  if (!link) {
    int error = errno;
    close(fd);
    return Status::error("cannot attach the sampler to CPU " + std::to_string(cpu) + ": " +
                         errno_text(error));
  }
  cpu_links_.push_back(link);  // the link owns the perf event fd
  attached_cpus_.insert(cpu);
  return Status::ok();
}

void Sampler::attach_new_cpus() {
  if (stopped_) return;
  for (int cpu : online_cpus()) {
    if (!attached_cpus_.count(cpu)) attach_cpu(cpu);
  }
}

Status Sampler::poll(int timeout_ms, const RecordHandler& handler, std::size_t max_records) {
  return ring_->poll(timeout_ms, handler, max_records);
}

SamplerStats Sampler::stats() const {
  int cpus = libbpf_num_possible_cpus();
  std::vector<std::uint64_t> values(static_cast<std::size_t>(cpus));
  auto sum = [&](std::uint32_t stat) {
    std::uint64_t total = 0;
    if (bpf_map__lookup_elem(skeleton_->maps.ember_stats, &stat, sizeof(stat), values.data(),
                             values.size() * sizeof(std::uint64_t), 0) == 0) {
      for (std::uint64_t value : values) total += value;
    }
    return total;
  };
  SamplerStats stats;
  stats.samples = sum(EMBER_STAT_SAMPLES);
  stats.lost = sum(EMBER_STAT_LOST);
  stats.skipped_self = sum(EMBER_STAT_SKIPPED_SELF);
  stats.tail_call_failed = sum(EMBER_STAT_TAIL_CALL_FAILED);
  stats.events_lost = sum(EMBER_STAT_EVENTS_LOST);
  stats.snapshots_cut = __atomic_load_n(&skeleton_->bss->snapshots_cut, __ATOMIC_RELAXED);
  stats.leaf_copies_dropped =
      __atomic_load_n(&skeleton_->bss->leaf_copies_dropped, __ATOMIC_RELAXED);
  return stats;
}

int Sampler::map_fd(std::string_view name) const {
  bpf_map* map = bpf_object__find_map_by_name(skeleton_->obj, std::string(name).c_str());
  return map ? bpf_map__fd(map) : -1;
}

Status Sampler::set_program(std::uint32_t slot, int program_fd) {
  if (slot >= EMBER_MAX_PROGRAMS) return Status::error("program slot out of range");
  if (bpf_map__update_elem(skeleton_->maps.ember_programs, &slot, sizeof(slot), &program_fd,
                           sizeof(program_fd), BPF_ANY) != 0) {
    return Status::error("cannot set program slot " + std::to_string(slot) + ": " +
                         errno_text(errno));
  }
  return Status::ok();
}

Status Sampler::add_program(int program_fd, std::uint32_t& slot) {
  // The next free slot after the last one given: a slot just freed is taken
  // last, so a stale route to it meets an empty slot rather than a stranger.
  for (std::uint32_t i = 0; i + 1 < EMBER_MAX_PROGRAMS; ++i) {
    const std::uint32_t candidate = 1 + (next_program_slot_ - 1 + i) % (EMBER_MAX_PROGRAMS - 1);
    if (used_program_slots_.count(candidate)) continue;
    Status status = set_program(candidate, program_fd);
    if (!status) return status;
    used_program_slots_.insert(candidate);
    slot = candidate;
    next_program_slot_ = candidate + 1;
    return status;
  }
  return Status::error("all " + std::to_string(EMBER_MAX_PROGRAMS - 1) +
                       " runtime program slots are taken");
}

void Sampler::remove_program(std::uint32_t slot) {
  if (slot == EMBER_PROG_SUBMIT || !used_program_slots_.erase(slot)) return;
  // Routes first, then the slot: samples meanwhile still reach the program.
  bpf_map* runtimes = skeleton_->maps.ember_runtimes;
  std::uint32_t pid = 0;
  std::vector<std::uint32_t> routed;
  for (int more = bpf_map__get_next_key(runtimes, nullptr, &pid, sizeof(pid)); more == 0;
       more = bpf_map__get_next_key(runtimes, &pid, &pid, sizeof(pid))) {
    ember_process_runtime entry{};
    if (bpf_map__lookup_elem(runtimes, &pid, sizeof(pid), &entry, sizeof(entry), 0) == 0 &&
        entry.program == slot) {
      routed.push_back(pid);
    }
  }
  for (std::uint32_t routed_pid : routed) set_process_program(routed_pid, 0);
  bpf_map__delete_elem(skeleton_->maps.ember_programs, &slot, sizeof(slot), 0);
}

namespace {

Status update_runtime(bpf_map* map, std::uint32_t pid, const ember_process_runtime& entry) {
  int result = entry.program == 0 && entry.flags == 0
                   ? bpf_map__delete_elem(map, &pid, sizeof(pid), 0)
                   : bpf_map__update_elem(map, &pid, sizeof(pid), &entry, sizeof(entry), BPF_ANY);
  if (result != 0 && result != -ENOENT) {
    return Status::error("cannot update the runtime of pid " + std::to_string(pid) + ": " +
                         errno_text(result));
  }
  return Status::ok();
}

ember_process_runtime current_runtime(bpf_map* map, std::uint32_t pid) {
  ember_process_runtime entry{};
  bpf_map__lookup_elem(map, &pid, sizeof(pid), &entry, sizeof(entry), 0);
  return entry;
}

}  // namespace

Status Sampler::set_process_program(std::uint32_t pid, std::uint32_t slot) {
  ember_process_runtime entry = current_runtime(skeleton_->maps.ember_runtimes, pid);
  entry.program = slot;
  return update_runtime(skeleton_->maps.ember_runtimes, pid, entry);
}

Status Sampler::set_process_flags(std::uint32_t pid, std::uint32_t flags, bool on) {
  ember_process_runtime entry = current_runtime(skeleton_->maps.ember_runtimes, pid);
  entry.flags = on ? (entry.flags | flags) : (entry.flags & ~flags);
  return update_runtime(skeleton_->maps.ember_runtimes, pid, entry);
}

void Sampler::set_snapshot_new_processes(bool on) {
  skeleton_->bss->snapshot_new_processes = on ? 1 : 0;
}

void Sampler::forget_process(std::uint32_t pid) {
  bpf_map__delete_elem(skeleton_->maps.ember_runtimes, &pid, sizeof(pid), 0);
}

}  // namespace ember
