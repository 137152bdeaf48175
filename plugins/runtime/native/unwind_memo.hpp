// Unwinds remembered by their inputs. libunwind's result for a sample depends
// only on its registers, the stack words it reads and the mapped files: a
// sample whose registers and every word an earlier unwind read are the same
// unwinds to the same frames, so those are replayed instead. A hot loop is
// sampled at the same few stacks again and again, and every step reads the
// frame's rule (from the object's rule cache, or libunwind's reading of
// .eh_frame) and stack words.
// Forgotten when the mappings change (the caller clears it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ember/bpf/sample.h"

namespace ember::native {

struct UnwoundFrame {
  std::uint64_t ip = 0;  // exact for frame 0, a return address above
  std::uint64_t sp = 0;
  std::uint64_t bp = 0;
  bool bp_known = false;
  // ip is exact above frame 0 too: where a signal interrupted the code, or
  // a signal return trampoline's first instruction (its return address).
  bool exact = false;
};

enum class UnwindEnd {
  complete,  // reached the outermost frame (_start, thread start)
  stopped,   // the caller's `stop` said enough
  failed,    // ran off the snapshot, or code without unwind info
};

class UnwindMemo {
 public:
  struct Entry {
    std::uint64_t ip = 0;
    std::uint64_t sp = 0;
    std::uint64_t bp = 0;
    std::uint64_t bx = 0;
    bool reads_bx = false;  // rbx was an input: only samples with the same rbx replay it
    std::uint64_t snapshot_size = 0;
    std::size_t max_frames = 0;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> reads;  // stack address, word
    std::vector<UnwoundFrame> frames;
    UnwindEnd end = UnwindEnd::failed;
  };

  // Bounded per process: at most max_entries stacks of kMaxReads words (~3 per frame).
  explicit UnwindMemo(std::size_t max_entries = 256) : max_entries_(max_entries) {}

  // The remembered unwind of a sample with these registers and stack words.
  const Entry* find(const ember_sample& sample, std::size_t max_frames) const;

  // Recording one real unwind: begin, every stack word read, then finish.
  void begin(const ember_sample& sample, std::size_t max_frames);
  void note_read(std::uint64_t address, std::uint64_t value) {
    if (recording_ && current_.reads.size() < kMaxReads) {
      current_.reads.emplace_back(address, value);
    } else {
      recording_ = false;  // a deep stack: not worth keeping
    }
  }
  // The unwind asked for the sample's rbx (most never do: only code that
  // keeps its CFA in rbx needs it, and rbx changes more often than sp).
  void note_bx_read() { current_.reads_bx = true; }
  void finish(const std::vector<UnwoundFrame>& frames, UnwindEnd end);

  void clear() { entries_.clear(); }
  // clear(), and the table's and the recording's memory given back too.
  void release() {
    std::unordered_map<std::uint64_t, Entry>().swap(entries_);
    current_ = Entry{};
    recording_ = false;
  }
  std::size_t size() const { return entries_.size(); }

 private:
  static constexpr std::size_t kMaxReads = 128;
  static std::uint64_t snapshot_size(const ember_sample& sample);

  std::size_t max_entries_;
  std::unordered_map<std::uint64_t, Entry> entries_;  // by IP: the latest stack seen there
  Entry current_;
  bool recording_ = false;
};

}  // namespace ember::native
