#include "mmap_event_stream.hpp"

#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "errno_text.hpp"
#include "online_cpus.hpp"

namespace ember {
namespace {

int open_mmap_event(int cpu) {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_DUMMY;
  attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
  attr.sample_id_all = 1;  // every record ends in pid, tid, time
  attr.mmap = 1;           // executable mappings only (no mmap_data)
  attr.mmap2 = 1;          // with device, inode and protection
  attr.comm = 1;
  attr.comm_exec = 1;  // the comm record of an exec says so
  attr.task = 1;       // fork and exit
  attr.use_clockid = 1;
  attr.clockid = CLOCK_MONOTONIC;  // the sampler's clock (bpf_ktime_get_ns)
  return static_cast<int>(syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

template <typename T>
T mmap_record_field(const unsigned char* record, std::size_t offset) {
  T value;
  std::memcpy(&value, record + offset, sizeof(T));
  return value;
}

// A NUL-terminated string inside [from, end).
std::string_view mmap_record_text(const unsigned char* record, std::size_t from, std::size_t end) {
  if (from >= end) return {};
  const char* start = reinterpret_cast<const char*>(record + from);
  return std::string_view(start, strnlen(start, end - from));
}

// The mapping an mmap2 record describes, named as /proc/PID/maps names it.
Mapping mmap_record_mapping(const unsigned char* record, std::size_t body_end) {
  Mapping mapping;
  mapping.start = mmap_record_field<std::uint64_t>(record, 16);
  mapping.end = mapping.start + mmap_record_field<std::uint64_t>(record, 24);
  mapping.offset = mmap_record_field<std::uint64_t>(record, 32);
  mapping.dev_major = mmap_record_field<std::uint32_t>(record, 40);
  mapping.dev_minor = mmap_record_field<std::uint32_t>(record, 44);
  mapping.inode = mmap_record_field<std::uint64_t>(record, 48);
  const auto prot = mmap_record_field<std::uint32_t>(record, 64);
  const auto flags = mmap_record_field<std::uint32_t>(record, 68);
  mapping.readable = prot & PROT_READ;
  mapping.writable = prot & PROT_WRITE;
  mapping.executable = prot & PROT_EXEC;
  mapping.shared = flags & MAP_SHARED;
  std::string_view path = mmap_record_text(record, 72, body_end);
  constexpr std::string_view kDeleted = " (deleted)";
  if (path.starts_with("//anon")) path = {};  // what maps shows blank
  if (path.size() > kDeleted.size() && path.ends_with(kDeleted)) {
    path.remove_suffix(kDeleted.size());
    mapping.deleted = true;
  }
  mapping.path = path;
  return mapping;
}

}  // namespace

Status MmapEventStream::open(std::unique_ptr<MmapEventStream>& out) {
  std::unique_ptr<MmapEventStream> stream(new MmapEventStream());
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  for (int cpu : online_cpus()) {
    Ring ring;
    ring.fd = open_mmap_event(cpu);
    if (ring.fd < 0) {
      return Status::error("cannot open the mmap event on CPU " + std::to_string(cpu) + ": " +
                           errno_text(errno));
    }
    ring.bytes = (1 + kRingPages) * page;
    ring.base = mmap(nullptr, ring.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, ring.fd, 0);
    if (ring.base == MAP_FAILED) {
      const int error = errno;
      close(ring.fd);
      return Status::error("cannot map the mmap event's ring on CPU " + std::to_string(cpu) +
                           ": " + errno_text(error));
    }
    stream->rings_.push_back(ring);
  }
  out = std::move(stream);
  return Status::ok();
}

MmapEventStream::~MmapEventStream() {
  for (Ring& ring : rings_) {
    munmap(ring.base, ring.bytes);
    close(ring.fd);
  }
}

void MmapEventStream::drain() {
  events_.clear();
  for (Ring& ring : rings_) read_ring(ring);
  if (events_.empty()) return;
  // Each CPU's records are in order; an exec on one CPU and its mappings on
  // another are put in order here.
  std::stable_sort(events_.begin(), events_.end(),
                   [](const Event& a, const Event& b) { return a.time_ns < b.time_ns; });
  for (const Event& event : events_) {
    switch (event.kind) {
      case Event::Kind::exec: history_.on_exec(event.pid, event.time_ns); break;
      case Event::Kind::mmap: history_.on_mmap(event.pid, event.mapping); break;
      case Event::Kind::exit: history_.on_exit(event.pid, event.time_ns); break;
    }
  }
  events_.clear();
}

const ExecImage* MmapEventStream::image(std::uint32_t pid) {
  drain();
  return history_.image(pid);
}

void MmapEventStream::read_ring(Ring& ring) {
  auto* meta = static_cast<perf_event_mmap_page*>(ring.base);
  const std::uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
  std::uint64_t tail = meta->data_tail;
  if (head == tail) return;
  const auto* data = static_cast<const unsigned char*>(ring.base) + meta->data_offset;
  const std::uint64_t size = meta->data_size;
  while (tail + sizeof(perf_event_header) <= head) {
    const std::uint64_t at = tail % size;
    perf_event_header header;
    // Records are 8-byte aligned and the ring a multiple of 8: a header
    // never straddles its end.
    std::memcpy(&header, data + at, sizeof(header));
    if (header.size < sizeof(header) || tail + header.size > head) break;
    const unsigned char* record = data + at;
    if (at + header.size > size) {
      wrapped_.resize(header.size);
      const std::size_t first = static_cast<std::size_t>(size - at);
      std::memcpy(wrapped_.data(), data + at, first);
      std::memcpy(wrapped_.data() + first, data, header.size - first);
      record = wrapped_.data();
    }
    parse(record, header.size);
    tail += header.size;
  }
  __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

void MmapEventStream::parse(const unsigned char* record, std::size_t size) {
  perf_event_header header;
  std::memcpy(&header, record, sizeof(header));
  // sample_id_all: pid, tid (u32 each) and time (u64) end every record but LOST's.
  constexpr std::size_t kSampleId = 16;
  if (header.type == PERF_RECORD_LOST) {
    if (size >= 24) lost_ += mmap_record_field<std::uint64_t>(record, 16);
    return;
  }
  if (size < 8 + 8 + kSampleId) return;
  const std::size_t body_end = size - kSampleId;
  Event event;
  event.pid = mmap_record_field<std::uint32_t>(record, 8);
  event.time_ns = mmap_record_field<std::uint64_t>(record, size - 8);
  switch (header.type) {
    case PERF_RECORD_COMM:
      if (!(header.misc & PERF_RECORD_MISC_COMM_EXEC)) return;
      event.kind = Event::Kind::exec;
      break;
    case PERF_RECORD_MMAP2:
      if (body_end < 72 || (header.misc & PERF_RECORD_MISC_MMAP_BUILD_ID)) return;
      event.kind = Event::Kind::mmap;
      event.mapping = mmap_record_mapping(record, body_end);
      break;
    case PERF_RECORD_EXIT:  // pid, ppid, tid: the process ends with its main thread
      if (body_end < 20 || mmap_record_field<std::uint32_t>(record, 16) != event.pid) return;
      event.kind = Event::Kind::exit;
      break;
    default:
      return;
  }
  events_.push_back(std::move(event));
}

}  // namespace ember
