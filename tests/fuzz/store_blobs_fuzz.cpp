// libFuzzer target for the store's window blobs: a store file is data on
// disk that a crash, a bad disk or another user's hands may have damaged,
// and `ember report`, the UI and the retention's garbage collection decode
// every window's blobs from it. A damaged blob must throw CorruptBlob (the
// reader's "corrupt window" path), never crash or read outside the blob.
//
// Input: one byte choosing what to decode, then the blob. Bit 0: metrics
// instead of refs; bits 1-2: the blob format (1 and 2 are real, 0 and 3
// unknown); bit 3: the rest is the inflated blob, deflated here first, so
// mutations reach the decoders instead of failing zlib's checks.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "byte_codec.hpp"
#include "window_blobs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t choice = data[0];
  std::string blob(reinterpret_cast<const char*>(data + 1), size - 1);
  if (choice & 8) blob = ember::store::deflate_blob(blob);
  const std::int64_t format = (choice >> 1) & 3;
  try {
    if (choice & 1) {
      std::vector<ember::HostMetrics> host;
      std::vector<ember::ProcessMetrics> processes;
      ember::store::decode_metrics(blob, format, 1'700'000'000'000'000'000, host, processes);
    } else {
      ember::store::WindowRefs refs = ember::store::decode_refs(blob, format);
      // What decodes must encode again (the writer's and garbage
      // collection's path over the same values).
      (void)ember::store::encode_refs(refs, ember::store::IdOrder::kept, format == 1 ? 1 : 2);
    }
  } catch (const ember::store::CorruptBlob&) {
  }
  return 0;
}
