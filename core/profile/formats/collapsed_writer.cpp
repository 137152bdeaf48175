#include "collapsed_writer.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "process_name.hpp"

namespace ember::formats {
namespace {

// ';' separates frames and a newline ends the line: neither may appear in one.
std::string sanitized(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (c == ';' || u < 0x20 || u == 0x7f) c = '_';
  }
  return out;
}

}  // namespace

std::string collapsed_frame(const Frame& frame) {
  std::string text = sanitized(frame.name.empty() ? std::string_view("[unknown]") : frame.name);
  if (frame.kind == frame_kind::kernel) text += "_[k]";
  if (frame.inlined) text += "_[i]";
  return text;
}

namespace {

// One output line before it is written: its process (and thread) prefix and
// its stack. Lines are compared and written from these pieces; built whole
// and kept in a sorted map, a busy host's 20 s at 999 Hz (24k lines of long
// C++ names) held 28 MB of line strings next to the 20 MB text.
struct Line {
  std::uint32_t prefix;  // index into the prefixes
  std::uint32_t stack;   // index into window.stacks
  std::uint64_t count;
};

class LineText {
 public:
  LineText(const std::vector<std::string>& prefixes, const std::vector<std::string>& frame_texts,
           const Window& window)
      : prefixes_(prefixes), frame_texts_(frame_texts), window_(window) {}

  // The line's pieces: the prefix, then ";" and a frame's text per frame.
  std::size_t pieces(const Line& line) const { return 1 + 2 * window_.stacks[line.stack].size(); }
  std::string_view piece(const Line& line, std::size_t i) const {
    if (i == 0) return prefixes_[line.prefix];
    if (i % 2 == 1) return i == 1 && prefixes_[line.prefix].empty() ? "" : ";";
    std::uint32_t frame = window_.stacks[line.stack][(i - 2) / 2];
    return frame < frame_texts_.size() ? std::string_view(frame_texts_[frame]) : "[unknown]";
  }

  // As std::string's compare of the two lines written out.
  int compare(const Line& a, const Line& b) const {
    std::size_t ia = 0, ib = 0, oa = 0, ob = 0;
    const std::size_t na = pieces(a), nb = pieces(b);
    std::string_view pa = piece(a, 0), pb = piece(b, 0);
    for (;;) {
      while (oa == pa.size() && ++ia < na) pa = piece(a, ia), oa = 0;
      while (ob == pb.size() && ++ib < nb) pb = piece(b, ib), ob = 0;
      bool a_done = ia >= na, b_done = ib >= nb;
      if (a_done || b_done) return a_done == b_done ? 0 : (a_done ? -1 : 1);
      std::size_t n = std::min(pa.size() - oa, pb.size() - ob);
      if (int c = std::char_traits<char>::compare(pa.data() + oa, pb.data() + ob, n)) return c;
      oa += n;
      ob += n;
    }
  }

  std::size_t size(const Line& line) const {
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < pieces(line); ++i) bytes += piece(line, i).size();
    return bytes;
  }

  void append(const Line& line, std::string& out) const {
    for (std::size_t i = 0; i < pieces(line); ++i) out += piece(line, i);
  }

 private:
  const std::vector<std::string>& prefixes_;
  const std::vector<std::string>& frame_texts_;
  const Window& window_;
};

}  // namespace

std::string collapsed_text(const Window& window, const CollapsedOptions& options) {
  std::map<std::uint32_t, const ProcessInfo*> processes;
  for (const ProcessInfo& process : window.processes) processes[process.pid] = &process;
  std::map<std::pair<std::uint32_t, std::uint32_t>, const ThreadInfo*> threads;
  for (const ThreadInfo& thread : window.threads) threads[{thread.pid, thread.tid}] = &thread;

  // Frame texts once per frame, not once per use.
  std::vector<std::string> frame_texts;
  frame_texts.reserve(window.frames.size());
  for (const Frame& frame : window.frames) frame_texts.push_back(collapsed_frame(frame));

  // Samples summed per (prefix, stack); the same text from two different
  // stacks (frames that differ only where this format does not show) is
  // merged after sorting.
  std::vector<std::string> prefixes;
  std::unordered_map<std::string, std::uint32_t> prefix_index;
  std::unordered_map<std::uint64_t, std::size_t> line_index;
  std::vector<Line> lines;
  for (const StackCount& sample : window.samples) {
    if (sample.count == 0 || sample.stack >= window.stacks.size()) continue;
    auto process = processes.find(sample.pid);
    std::string prefix = !options.process_frames ? ""
                         : process != processes.end() && !process->second->comm.empty()
                             ? sanitized(process->second->comm)
                             : unnamed_process_name(sample.pid);
    if (options.thread_frames) {
      auto thread = threads.find({sample.pid, sample.tid});
      std::string name = thread != threads.end() ? sanitized(thread->second->name) : "";
      prefix += ";" + name + "/" + std::to_string(sample.tid);
    }
    auto [at, added] =
        prefix_index.try_emplace(std::move(prefix), static_cast<std::uint32_t>(prefixes.size()));
    if (added) prefixes.push_back(at->first);
    std::uint64_t key = std::uint64_t{at->second} << 32 | sample.stack;
    auto [line, new_line] = line_index.try_emplace(key, lines.size());
    if (new_line) lines.push_back({at->second, sample.stack, 0});
    lines[line->second].count += sample.count;
  }
  line_index = {};

  LineText text(prefixes, frame_texts, window);
  std::sort(lines.begin(), lines.end(),
            [&](const Line& a, const Line& b) { return text.compare(a, b) < 0; });
  std::vector<Line> merged;  // sorted: stable output
  for (const Line& line : lines) {
    if (!merged.empty() && text.compare(merged.back(), line) == 0) {
      merged.back().count += line.count;
    } else {
      merged.push_back(line);
    }
  }
  lines = {};

  // Sized first: the text is the agent's largest single allocation at exit.
  std::size_t bytes = 0;
  for (const Line& line : merged) bytes += text.size(line) + 2 + std::to_string(line.count).size();
  std::string out;
  out.reserve(bytes);
  for (const Line& line : merged) {
    text.append(line, out);
    out += ' ';
    out += std::to_string(line.count);
    out += '\n';
  }
  return out;
}

}  // namespace ember::formats
