// A StoreReader over windows held in memory, merged the way the contract in
// store_reader.hpp says, for testing the report without SQLite.
#pragma once

#include <algorithm>

#include "store_reader.hpp"
#include "window_merger.hpp"

namespace ember::test {

class MemoryStore : public store::StoreReader {
 public:
  explicit MemoryStore(std::vector<Window> windows) : windows_(std::move(windows)) {}

  store::StoreSummary summary() const override {
    store::StoreSummary s;
    for (const BuiltinFrameKind& k : kBuiltinFrameKinds) add(s.kinds, k.kind);
    for (const Window& w : windows_) {
      for (const Frame& f : w.frames) add(s.kinds, f.kind);
      s.first_ns = s.windows ? std::min(s.first_ns, w.start_ns) : w.start_ns;
      s.last_ns = std::max(s.last_ns, w.end_ns);
      ++s.windows;
      for (const ProcessInfo& p : w.processes) {
        add(s.processes, p.comm);
        if (!p.service.empty()) add(s.services, p.service);
      }
    }
    return s;
  }

  Status read(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const override {
    ++reads;
    formats::WindowMerger merger;
    for (const Window& w : windows_) {
      if (w.start_ns < to_ns && w.end_ns > from_ns) merger.add(w);
    }
    merged = merger.take();
    return Status::ok();
  }

  Status windows(std::int64_t from_ns, std::int64_t to_ns,
                 std::vector<store::WindowSpan>& spans) const override {
    spans.clear();
    for (const Window& w : windows_) {
      if (w.start_ns < to_ns && w.end_ns > from_ns) spans.push_back({w.start_ns, w.end_ns});
    }
    return Status::ok();
  }

  mutable int reads = 0;

 private:
  static void add(std::vector<std::string>& list, const std::string& item) {
    if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
  }
  std::vector<Window> windows_;
};

}  // namespace ember::test
