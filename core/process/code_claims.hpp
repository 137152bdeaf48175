// Which runtime handler names which code of one process: the executable
// ranges the handlers claim (ProcessHandler::code_ranges), resolved to one
// owner per address. Where claims overlap, the narrowest range wins (the
// most specific: a perf-map entry inside a JIT's whole code cache), and
// between ranges of the same width, the handler attached last. Addresses no
// handler claims are the native role's.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ember/runtime_plugin.hpp"

namespace ember {

class CodeClaims {
 public:
  // One run of addresses with one owner.
  struct Segment {
    std::uint64_t start = 0;
    std::uint64_t end = 0;  // exclusive
    std::size_t owner = 0;  // index into owners()
    bool cacheable = true;  // CodeRange::cacheable
  };

  // Asks every handler (in attach order) for its ranges, again.
  void collect(const std::vector<std::unique_ptr<ProcessHandler>>& handlers);
  void clear();

  bool empty() const { return segments_.empty(); }
  // The segment holding `pc`, or nullptr.
  const Segment* find(std::uint64_t pc) const;
  // The handlers owning at least one segment.
  const std::vector<ProcessHandler*>& owners() const { return owners_; }
  const std::vector<Segment>& segments() const { return segments_; }

 private:
  std::vector<ProcessHandler*> owners_;
  std::vector<Segment> segments_;  // sorted, disjoint
};

}  // namespace ember
