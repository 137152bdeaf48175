#include "store_when_ready.hpp"

namespace ember::ui {

const store::StoreReader* StoreWhenReady::opened(Status* problem) const {
  std::lock_guard lock(mutex_);
  if (!reader_) {
    Status status = store::StoreReader::open(path_, reader_);
    if (!status) {
      reader_.reset();
      if (problem) *problem = status;
    }
  }
  return reader_.get();
}

store::StoreSummary StoreWhenReady::summary() const {
  const store::StoreReader* reader = opened();
  return reader ? reader->summary() : store::StoreSummary{};
}

Status StoreWhenReady::reading(
    const std::function<Status(const store::StoreReader&)>& read) const {
  Status problem = Status::ok();
  const store::StoreReader* reader = opened(&problem);
  return reader ? read(*reader) : problem;
}

Status StoreWhenReady::read(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const {
  return reading([&](const store::StoreReader& r) { return r.read(from_ns, to_ns, merged); });
}

Status StoreWhenReady::read_metrics(std::int64_t from_ns, std::int64_t to_ns,
                                    Window& merged) const {
  return reading(
      [&](const store::StoreReader& r) { return r.read_metrics(from_ns, to_ns, merged); });
}

Status StoreWhenReady::read_per_process(std::int64_t from_ns, std::int64_t to_ns,
                                        Window& merged) const {
  return reading(
      [&](const store::StoreReader& r) { return r.read_per_process(from_ns, to_ns, merged); });
}

Status StoreWhenReady::read_process_samples(std::int64_t from_ns, std::int64_t to_ns,
                                            Window& merged) const {
  return reading(
      [&](const store::StoreReader& r) { return r.read_process_samples(from_ns, to_ns, merged); });
}

Status StoreWhenReady::read_process_names(std::int64_t from_ns, std::int64_t to_ns,
                                          Window& merged) const {
  return reading(
      [&](const store::StoreReader& r) { return r.read_process_names(from_ns, to_ns, merged); });
}

Status StoreWhenReady::read_process_samples_of(std::int64_t from_ns, std::int64_t to_ns,
                                               const ProcessWanted& wanted, Window& merged) const {
  return reading([&](const store::StoreReader& r) {
    return r.read_process_samples_of(from_ns, to_ns, wanted, merged);
  });
}

Status StoreWhenReady::read_process_counts(std::int64_t from_ns, std::int64_t to_ns,
                                           Window& merged) const {
  return reading(
      [&](const store::StoreReader& r) { return r.read_process_counts(from_ns, to_ns, merged); });
}

Status StoreWhenReady::windows(std::int64_t from_ns, std::int64_t to_ns,
                               std::vector<store::WindowSpan>& spans) const {
  spans.clear();
  const store::StoreReader* reader = opened();
  return reader ? reader->windows(from_ns, to_ns, spans) : Status::ok();
}

}  // namespace ember::ui
