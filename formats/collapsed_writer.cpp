#include "collapsed_writer.hpp"

#include <map>
#include <utility>

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
  if (frame.kind == FrameKind::kernel) text += "_[k]";
  if (frame.inlined) text += "_[i]";
  return text;
}

std::string collapsed_text(const Window& window, const CollapsedOptions& options) {
  std::map<std::uint32_t, const ProcessInfo*> processes;
  for (const ProcessInfo& process : window.processes) processes[process.pid] = &process;
  std::map<std::pair<std::uint32_t, std::uint32_t>, const ThreadInfo*> threads;
  for (const ThreadInfo& thread : window.threads) threads[{thread.pid, thread.tid}] = &thread;

  // Frame texts once per frame, not once per use.
  std::vector<std::string> frame_texts;
  frame_texts.reserve(window.frames.size());
  for (const Frame& frame : window.frames) frame_texts.push_back(collapsed_frame(frame));

  std::map<std::string, std::uint64_t> counts;  // sorted: stable output
  for (const StackCount& sample : window.samples) {
    if (sample.count == 0 || sample.stack >= window.stacks.size()) continue;
    auto process = processes.find(sample.pid);
    std::string line = process != processes.end() && !process->second->comm.empty()
                           ? sanitized(process->second->comm)
                           : "[pid " + std::to_string(sample.pid) + "]";
    if (options.thread_frames) {
      auto thread = threads.find({sample.pid, sample.tid});
      std::string name = thread != threads.end() ? sanitized(thread->second->name) : "";
      line += ";" + name + "/" + std::to_string(sample.tid);
    }
    for (std::uint32_t frame : window.stacks[sample.stack]) {
      line += ';';
      line += frame < frame_texts.size() ? frame_texts[frame] : std::string("[unknown]");
    }
    counts[std::move(line)] += sample.count;
  }

  std::string out;
  for (const auto& [stack, count] : counts) {
    out += stack;
    out += ' ';
    out += std::to_string(count);
    out += '\n';
  }
  return out;
}

}  // namespace ember::formats
