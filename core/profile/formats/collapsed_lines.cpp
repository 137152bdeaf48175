#include "collapsed_lines.hpp"

#include <algorithm>
#include <utility>

#include "process_name.hpp"
#include "window_process_key.hpp"

namespace ember::formats {

std::size_t CollapsedLines::KeyHash::operator()(const Key& key) const {
  std::uint64_t h = (std::uint64_t{key.process} << 32 | key.tid) * 0x9e3779b97f4a7c15ULL;
  return h ^ (key.stack + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

std::size_t CollapsedLines::StackHash::operator()(std::uint32_t stack) const {
  std::size_t begin = lines->stack_begin(stack), end = lines->stack_end(stack);
  std::size_t h = end - begin;
  for (std::size_t i = begin; i < end; ++i) h = h * 0x9e3779b97f4a7c15ULL + lines->stack_texts_[i];
  return h;
}

bool CollapsedLines::StackEqual::operator()(std::uint32_t a, std::uint32_t b) const {
  const auto& texts = lines->stack_texts_;
  auto a0 = texts.begin() + static_cast<std::ptrdiff_t>(lines->stack_begin(a));
  auto a1 = texts.begin() + static_cast<std::ptrdiff_t>(lines->stack_end(a));
  auto b0 = texts.begin() + static_cast<std::ptrdiff_t>(lines->stack_begin(b));
  auto b1 = texts.begin() + static_cast<std::ptrdiff_t>(lines->stack_end(b));
  return std::equal(a0, a1, b0, b1);
}

std::uint32_t CollapsedLines::intern_text(std::string text) {
  auto found = text_ids_.find(text);
  if (found != text_ids_.end()) return found->second;
  const auto id = static_cast<std::uint32_t>(texts_.size());
  texts_.push_back(std::move(text));
  text_ids_.emplace(texts_.back(), id);
  return id;
}

std::uint32_t CollapsedLines::intern_appended_stack() {
  const auto id = static_cast<std::uint32_t>(stack_starts_.size() - 1);
  auto [it, added] = stack_ids_.insert(id);
  if (!added) {  // seen before: the appended copy goes
    stack_texts_.resize(stack_starts_.back());
    stack_starts_.pop_back();
  }
  return *it;
}

void CollapsedLines::add(const Window& window) {
  const RunPrograms::Keys processes = programs_.add(window);
  if (options_.thread_frames) {
    for (const ThreadInfo& thread : window.threads) {
      thread_names_[std::uint64_t{thread.pid} << 32 | thread.tid] = thread.name;
    }
  }
  // Frame texts once per frame, not once per use.
  std::vector<std::uint32_t> frame_texts;
  frame_texts.reserve(window.frames.size());
  for (const Frame& frame : window.frames) frame_texts.push_back(intern_text(collapsed_frame(frame)));
  const std::uint32_t unknown = intern_text("[unknown]");

  std::vector<std::int64_t> stack_ids(window.stacks.size(), -1);  // window's -> ours
  if (stack_texts_.empty()) {
    // A first (or only) window's stacks in one allocation of their size:
    // grown by doubling, the array held up to twice that, and three times
    // while it moved (a busy window's is several MB).
    std::size_t frames = 0;
    for (const auto& stack : window.stacks) frames += stack.size();
    stack_texts_.reserve(frames);
    stack_starts_.reserve(window.stacks.size());
  }
  for (const StackCount& sample : window.samples) {
    if (sample.count == 0 || sample.stack >= window.stacks.size()) continue;
    std::int64_t& id = stack_ids[sample.stack];
    if (id < 0) {
      stack_starts_.push_back(static_cast<std::uint32_t>(stack_texts_.size()));
      for (std::uint32_t frame : window.stacks[sample.stack]) {
        stack_texts_.push_back(frame < frame_texts.size() ? frame_texts[frame] : unknown);
      }
      id = intern_appended_stack();
    }
    // What a line's prefix shows decides what tells lines apart.
    Key key{options_.process_frames ? RunPrograms::key_of(processes, sample) : 0,
            options_.thread_frames ? sample.tid : 0, static_cast<std::uint32_t>(id)};
    counts_[key] += sample.count;
    total_ += sample.count;
  }
}

// One output line before it is written: its prefix (process, thread) and its
// stack; lines are compared and written from these pieces, never built whole.
struct CollapsedLine {
  std::uint32_t prefix;
  std::uint32_t stack;
  std::uint64_t count;
};

class CollapsedLineText {
 public:
  CollapsedLineText(const CollapsedLines& lines, const std::vector<std::string>& prefixes)
      : lines_(lines), prefixes_(prefixes) {}

  // The line's pieces: the prefix, then ";" and a frame's text per frame.
  std::size_t pieces(const CollapsedLine& line) const {
    return 1 + 2 * (lines_.stack_end(line.stack) - lines_.stack_begin(line.stack));
  }
  std::string_view piece(const CollapsedLine& line, std::size_t i) const {
    if (i == 0) return prefixes_[line.prefix];
    if (i % 2 == 1) return i == 1 && prefixes_[line.prefix].empty() ? "" : ";";
    return lines_.texts_[lines_.stack_texts_[lines_.stack_begin(line.stack) + (i - 2) / 2]];
  }

  // As std::string's compare of the two lines written out.
  int compare(const CollapsedLine& a, const CollapsedLine& b) const {
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

  void append(const CollapsedLine& line, std::string& out) const {
    for (std::size_t i = 0; i < pieces(line); ++i) out += piece(line, i);
  }

 private:
  const CollapsedLines& lines_;
  const std::vector<std::string>& prefixes_;
};

Status CollapsedLines::write(const std::function<Status(std::string_view)>& out) const {
  // Each distinct prefix once; a line refers to it by index.
  std::vector<std::string> prefixes;
  std::unordered_map<std::string, std::uint32_t> prefix_index;
  std::unordered_map<std::uint64_t, std::uint32_t> prefix_of;  // process << 32 | tid
  auto prefix_id = [&](const Key& key) {
    auto [known, added] = prefix_of.try_emplace(std::uint64_t{key.process} << 32 | key.tid, 0);
    if (!added) return known->second;
    std::string prefix;
    if (options_.process_frames) {
      std::string_view comm = programs_.name(key.process);
      prefix = !comm.empty() ? collapsed_name(comm) : unnamed_process_name(pid_of_key(key.process));
    }
    if (options_.thread_frames) {
      auto thread = thread_names_.find(std::uint64_t{pid_of_key(key.process)} << 32 | key.tid);
      std::string name = thread != thread_names_.end() ? collapsed_name(thread->second) : "";
      prefix += ";" + name + "/" + std::to_string(key.tid);
    }
    auto [at, new_prefix] =
        prefix_index.try_emplace(std::move(prefix), static_cast<std::uint32_t>(prefixes.size()));
    if (new_prefix) prefixes.push_back(at->first);
    known->second = at->second;
    return at->second;
  };

  std::vector<CollapsedLine> lines;
  lines.reserve(counts_.size());
  for (const auto& [key, count] : counts_) lines.push_back({prefix_id(key), key.stack, count});
  prefix_index = {};
  prefix_of = {};

  // Sorted: equal profiles give equal files. The same text from two different
  // stacks or prefixes (pids of one comm) is one line.
  CollapsedLineText text(*this, prefixes);
  std::sort(lines.begin(), lines.end(), [&](const CollapsedLine& a, const CollapsedLine& b) {
    return text.compare(a, b) < 0;
  });
  constexpr std::size_t kChunk = 64 * 1024;
  std::string chunk;
  chunk.reserve(kChunk + 4096);
  for (std::size_t i = 0; i < lines.size();) {
    std::uint64_t count = lines[i].count;
    std::size_t next = i + 1;
    while (next < lines.size() && text.compare(lines[i], lines[next]) == 0) {
      count += lines[next++].count;
    }
    text.append(lines[i], chunk);
    chunk += ' ';
    chunk += std::to_string(count);
    chunk += '\n';
    i = next;
    if (chunk.size() >= kChunk) {
      if (Status written = out(chunk); !written) return written;
      chunk.clear();
    }
  }
  if (!chunk.empty()) return out(chunk);
  return Status::ok();
}

std::string CollapsedLines::text() const {
  std::string all;
  write([&](std::string_view piece) {
    all += piece;
    return Status::ok();
  });
  return all;
}

}  // namespace ember::formats
