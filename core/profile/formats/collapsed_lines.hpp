// The lines of a collapsed profile (collapsed_writer.hpp) gathered window by
// window in a compact form: each distinct frame text once, each distinct stack
// once as a run of text ids, a count per (pid, thread, stack). A whole run
// never exists as one merged Window nor as one string: on a busy build host a
// minute at 999 Hz is ~100k distinct stacks, ~140 MB of text.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "collapsed_writer.hpp"
#include "ember/status.hpp"
#include "ember/window.hpp"
#include "run_programs.hpp"

namespace ember::formats {

class CollapsedLines {
 public:
  explicit CollapsedLines(const CollapsedOptions& options = {}) : options_(options) {}
  // The stack set's hash and equality read the arena through `this`.
  CollapsedLines(const CollapsedLines&) = delete;
  CollapsedLines& operator=(const CollapsedLines&) = delete;

  // Adds the window's samples. A process is a pid and a name over the run
  // (RunPrograms), as merge_windows keeps them; thread names come from the
  // latest window that has the thread.
  void add(const Window& window);

  // The samples the lines will count.
  std::uint64_t total_samples() const { return total_; }

  // Bytes the stacks' arrays hold (their capacity): for tests.
  std::size_t stack_array_bytes() const {
    return (stack_texts_.capacity() + stack_starts_.capacity()) * sizeof(std::uint32_t);
  }

  // The text: lines sorted, lines of equal text merged, handed to `out` in
  // pieces of about 64 KiB; stops at the first error `out` returns.
  Status write(const std::function<Status(std::string_view)>& out) const;
  std::string text() const;

 private:
  struct Key {
    std::uint32_t process, tid, stack;  // process: a RunPrograms key
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const;
  };
  struct StackHash {
    const CollapsedLines* lines;
    std::size_t operator()(std::uint32_t stack) const;
  };
  struct StackEqual {
    const CollapsedLines* lines;
    bool operator()(std::uint32_t a, std::uint32_t b) const;
  };
  friend class CollapsedLineText;

  std::uint32_t intern_text(std::string text);
  // Interns the stack just appended to stack_texts_ (after stack_starts_.back()).
  std::uint32_t intern_appended_stack();
  std::size_t stack_begin(std::uint32_t stack) const { return stack_starts_[stack]; }
  std::size_t stack_end(std::uint32_t stack) const {
    return stack + 1 < stack_starts_.size() ? stack_starts_[stack + 1] : stack_texts_.size();
  }

  CollapsedOptions options_;
  std::uint64_t total_ = 0;
  std::deque<std::string> texts_;  // a deque: the views in text_ids_ stay valid
  std::unordered_map<std::string_view, std::uint32_t> text_ids_;
  std::vector<std::uint32_t> stack_texts_;   // every stack's text ids, root first
  std::vector<std::uint32_t> stack_starts_;  // where each stack begins in stack_texts_
  std::unordered_set<std::uint32_t, StackHash, StackEqual> stack_ids_{
      0, StackHash{this}, StackEqual{this}};
  std::unordered_map<Key, std::uint64_t, KeyHash> counts_;
  RunPrograms programs_;
  std::unordered_map<std::uint64_t, std::string> thread_names_;  // pid << 32 | tid
};

}  // namespace ember::formats
