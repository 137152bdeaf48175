// The per-window blobs of the `windows` table. Samples refer to stacks,
// processes and threads by their store row ids; metrics are delta-coded per
// series. Both are deflated: a 60 s window of a busy host is a few KiB.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ember/window.hpp"

namespace ember::store {

struct StoredSample {
  std::int64_t stack_id = 0;
  std::uint32_t pid = 0;
  std::uint32_t tid = 0;
  std::uint64_t count = 0;
};

// What a window refers to by id. The writer fills it; the reader and the
// retention's garbage collection decode it.
struct WindowRefs {
  std::vector<std::int64_t> process_ids;
  std::vector<std::int64_t> thread_ids;
  std::vector<StoredSample> samples;
};

// Blob formats: 1 (schema 1-2) interleaves each sample's or step's values;
// 2 (schema 3) writes them as columns (column_codec.hpp), which deflate
// better. The windows and rollups tables say which format a row holds;
// decoding an unknown format throws CorruptBlob.
inline constexpr std::int64_t kBlobFormat = 2;

// A window's process and thread ids are a set (sorted: they compress best);
// a rollup's keep their order, newest last, as the reader lets later rows win.
enum class IdOrder { sorted, kept };
std::string encode_refs(WindowRefs refs, IdOrder order = IdOrder::sorted,
                        std::int64_t format = kBlobFormat);  // samples sorted
WindowRefs decode_refs(std::string_view blob, std::int64_t format);
// The same into `refs`, reusing its vectors' memory (a read decodes many);
// without `samples`, the process and thread ids only.
void decode_refs(std::string_view blob, std::int64_t format, WindowRefs& refs,
                 bool samples = true);

// CPU shares are kept to a millionth (of a core, or of the host); metrics come
// back ordered by time, then pid.
std::string encode_metrics(const Window& window, std::int64_t format = kBlobFormat);
void decode_metrics(std::string_view blob, std::int64_t format, std::int64_t start_ns,
                    std::vector<HostMetrics>& host, std::vector<ProcessMetrics>& processes);

}  // namespace ember::store
