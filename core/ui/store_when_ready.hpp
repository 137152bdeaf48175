// A StoreReader over a store that may not exist yet: the agent serving its
// own store (served_ui.hpp) starts before its store sink wrote the first
// window. Until the file opens, the store reads as empty (the API says "no
// windows yet"); each call tries again, so the first request after the sink
// wrote a window sees it. Read-only, as every StoreReader.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "store_reader.hpp"

namespace ember::ui {

class StoreWhenReady final : public store::StoreReader {
 public:
  explicit StoreWhenReady(std::string path) : path_(std::move(path)) {}

  store::StoreSummary summary() const override;
  Status read(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const override;
  Status read_metrics(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const override;
  Status read_per_process(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const override;
  Status read_process_samples(std::int64_t from_ns, std::int64_t to_ns,
                              Window& merged) const override;
  Status read_process_names(std::int64_t from_ns, std::int64_t to_ns,
                            Window& merged) const override;
  Status read_process_samples_of(std::int64_t from_ns, std::int64_t to_ns,
                                 const ProcessWanted& wanted, Window& merged) const override;
  Status read_process_counts(std::int64_t from_ns, std::int64_t to_ns,
                             Window& merged) const override;
  Status windows(std::int64_t from_ns, std::int64_t to_ns,
                 std::vector<store::WindowSpan>& spans) const override;

 private:
  // The store, opened now if it was not; nullptr (and why in `problem`) while
  // it cannot be.
  const store::StoreReader* opened(Status* problem = nullptr) const;
  // `read` of the store, or why it cannot be opened yet.
  Status reading(const std::function<Status(const store::StoreReader&)>& read) const;

  std::string path_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<store::StoreReader> reader_;
};

}  // namespace ember::ui
