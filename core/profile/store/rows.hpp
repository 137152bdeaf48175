// Rows of the dedup tables <-> SDK structs, and each row's canonical key (the
// bytes whose stable_hash() is the row's `hash` column).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ember/window.hpp"
#include "sqlite_db.hpp"

namespace ember::store {

// Column lists, in the order read_*() expects them.
// A frame row's `kind` is the id of a `kinds` row (schema 5), or of a
// built-in kind in kBuiltinFrameKinds' order (before).
inline constexpr const char* kFrameColumns = "kind, inlined, line, name, module, file";
inline constexpr const char* kKindColumns = "name, color";
inline constexpr const char* kProcessColumns =
    "pid, comm, exe, cmdline, container_id, cgroup_id, exit_time_ns, container_name, pod_uid, "
    "service, pod_name";
// The same for a reader of a store older than schema 4 (no pod_name column).
inline constexpr const char* kProcessColumnsBefore4 =
    "pid, comm, exe, cmdline, container_id, cgroup_id, exit_time_ns, container_name, pod_uid, "
    "service, ''";
inline constexpr const char* kThreadColumns = "pid, tid, name";

// A frame's key holds its kind's id, so the frames stored before kinds had
// names (built-ins, the same ids) keep their hashes.
std::string frame_key(const Frame& frame, std::int64_t kind_id);
std::string frame_key_of_row(const Statement& row, int first);
std::string process_key(const ProcessInfo& process);
std::string thread_key(const ThreadInfo& thread);

// A store's kinds by id: its `kinds` table, or the built-in kinds for a
// store older than schema 5 (`version`).
using StoredKinds = std::map<std::int64_t, FrameKindColor>;
StoredKinds read_kinds(Database& db, std::int64_t version);

// Reads the columns above starting at `first` (a kind id not in `kinds`
// reads as unknown).
Frame read_frame(const Statement& row, int first, const StoredKinds& kinds);
ProcessInfo read_process(const Statement& row, int first);
ThreadInfo read_thread(const Statement& row, int first);

// Binds the columns above starting at parameter `first`.
void bind_frame(Statement& statement, int first, const Frame& frame, std::int64_t kind_id);
void bind_process(Statement& statement, int first, const ProcessInfo& process);
void bind_thread(Statement& statement, int first, const ThreadInfo& thread);

// A stack's `frames` blob: frame ids, root first. Schema 3 writes each as a
// zigzag varint of its difference from the id before (a program's frames
// get ids close together); schemas 1-2 wrote the ids themselves.
enum class StackEncoding { ids, deltas };
std::string encode_stack(const std::vector<std::int64_t>& frame_ids,
                         StackEncoding encoding = StackEncoding::deltas);
std::vector<std::int64_t> decode_stack(std::string_view blob,
                                       StackEncoding encoding = StackEncoding::deltas);
// The same appended to `ids`: a read decodes every stack of a range into one
// array, not one allocation each.
void decode_stack_into(std::string_view blob, StackEncoding encoding,
                       std::vector<std::int64_t>& ids);
// The same as 32-bit ids, as a read keeps them (a day's read holds ~4
// million); an id that does not fit, which no writer makes (frames are
// numbered from 1, one row each), is a damaged row: CorruptBlob.
void decode_stack_into(std::string_view blob, StackEncoding encoding,
                       std::vector<std::uint32_t>& ids);

// The dedup key of a stack row: its frames blob, and for a labelled sample's
// row its label set's id after it (ending in a byte no blob ends in, so the
// two never meet).
std::string stack_key(std::string_view frames_blob, std::int64_t label_set);

// A label set's `labels` blob: a varint count, then each key and value as
// length-prefixed bytes.
std::string encode_labels(std::span<const Label> labels);
std::vector<Label> decode_labels(std::string_view blob);

// The `hash` column of a row whose canonical key (or stack blob) is `key`:
// 31 bits, four bytes in the row and its index, so a lookup of a row not in
// the table finds no candidate and one in it about one, whatever the table's
// size (schemas 3-8 kept 15 bits: a store of a million stacks had ~30 rows
// per hash, each read and compared at every lookup). Rows sharing one are
// told apart by content.
std::int64_t dedup_hash(std::string_view key);
inline constexpr std::int64_t kDedupHashMask = 0x7fffffff;
// The same from the key's stable_hash(), when that is at hand.
inline std::int64_t dedup_hash_of(std::uint64_t stable) {
  return static_cast<std::int64_t>(stable) & kDedupHashMask;
}

}  // namespace ember::store
