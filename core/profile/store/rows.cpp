#include "rows.hpp"

#include <iterator>

#include "byte_codec.hpp"

namespace ember::store {

std::string frame_key(const Frame& frame, std::int64_t kind_id) {
  ByteWriter key;
  key.varint(static_cast<std::uint64_t>(kind_id));
  key.varint(frame.inlined ? 1 : 0);
  key.varint(frame.line);
  key.bytes(frame.name);
  key.bytes(frame.module);
  key.bytes(frame.file);
  return key.take();
}

std::string frame_key_of_row(const Statement& row, int first) {
  Frame frame;
  frame.inlined = row.int64(first + 1) != 0;
  frame.line = static_cast<std::uint32_t>(row.int64(first + 2));
  frame.name = row.text(first + 3);
  frame.module = row.text(first + 4);
  frame.file = row.text(first + 5);
  return frame_key(frame, row.int64(first));
}

StoredKinds read_kinds(Database& db, std::int64_t version) {
  StoredKinds kinds;
  if (version < 5) {
    for (std::size_t i = 0; i < std::size(kBuiltinFrameKinds); ++i) {
      kinds.emplace(static_cast<std::int64_t>(i),
                    FrameKindColor{kBuiltinFrameKinds[i].kind, kBuiltinFrameKinds[i].color});
    }
    return kinds;
  }
  Statement all(db.handle(), std::string("SELECT id, ") + kKindColumns + " FROM kinds");
  while (all.step()) kinds.emplace(all.int64(0), FrameKindColor{all.text(1), all.text(2)});
  return kinds;
}

std::string process_key(const ProcessInfo& p) {
  ByteWriter key;
  key.varint(p.pid);
  key.bytes(p.comm);
  key.bytes(p.exe);
  key.bytes(p.cmdline);
  key.bytes(p.container_id);
  key.varint(p.cgroup_id);
  key.svarint(p.exit_time_ns);
  key.bytes(p.container_name);
  key.bytes(p.pod_uid);
  key.bytes(p.service);
  key.bytes(p.pod_name);
  return key.take();
}

std::string thread_key(const ThreadInfo& t) {
  ByteWriter key;
  key.varint(t.pid);
  key.varint(t.tid);
  key.bytes(t.name);
  return key.take();
}

Frame read_frame(const Statement& row, int first, const StoredKinds& kinds) {
  Frame frame;
  auto kind = kinds.find(row.int64(first));
  frame.kind = kind != kinds.end() ? kind->second.kind : frame_kind::unknown;
  frame.inlined = row.int64(first + 1) != 0;
  frame.line = static_cast<std::uint32_t>(row.int64(first + 2));
  frame.name = row.text(first + 3);
  frame.module = row.text(first + 4);
  frame.file = row.text(first + 5);
  return frame;
}

ProcessInfo read_process(const Statement& row, int first) {
  ProcessInfo p;
  p.pid = static_cast<std::uint32_t>(row.int64(first));
  p.comm = row.text(first + 1);
  p.exe = row.text(first + 2);
  p.cmdline = row.text(first + 3);
  p.container_id = row.text(first + 4);
  p.cgroup_id = static_cast<std::uint64_t>(row.int64(first + 5));
  p.exit_time_ns = row.int64(first + 6);
  p.container_name = row.text(first + 7);
  p.pod_uid = row.text(first + 8);
  p.service = row.text(first + 9);
  p.pod_name = row.text(first + 10);
  return p;
}

ThreadInfo read_thread(const Statement& row, int first) {
  ThreadInfo t;
  t.pid = static_cast<std::uint32_t>(row.int64(first));
  t.tid = static_cast<std::uint32_t>(row.int64(first + 1));
  t.name = row.text(first + 2);
  return t;
}

void bind_frame(Statement& s, int first, const Frame& frame, std::int64_t kind_id) {
  s.bind(first, kind_id)
      .bind(first + 1, std::int64_t{frame.inlined ? 1 : 0})
      .bind(first + 2, std::int64_t{frame.line})
      .bind(first + 3, frame.name)
      .bind(first + 4, frame.module)
      .bind(first + 5, frame.file);
}

void bind_process(Statement& s, int first, const ProcessInfo& p) {
  s.bind(first, std::int64_t{p.pid})
      .bind(first + 1, p.comm)
      .bind(first + 2, p.exe)
      .bind(first + 3, p.cmdline)
      .bind(first + 4, p.container_id)
      .bind(first + 5, static_cast<std::int64_t>(p.cgroup_id))
      .bind(first + 6, p.exit_time_ns)
      .bind(first + 7, p.container_name)
      .bind(first + 8, p.pod_uid)
      .bind(first + 9, p.service)
      .bind(first + 10, p.pod_name);
}

void bind_thread(Statement& s, int first, const ThreadInfo& t) {
  s.bind(first, std::int64_t{t.pid}).bind(first + 1, std::int64_t{t.tid}).bind(first + 2, t.name);
}

std::string encode_stack(const std::vector<std::int64_t>& frame_ids, StackEncoding encoding) {
  ByteWriter out;
  std::int64_t previous = 0;
  for (std::int64_t id : frame_ids) {
    if (encoding == StackEncoding::ids) {
      out.varint(static_cast<std::uint64_t>(id));
    } else {
      out.delta(id, previous);
      previous = id;
    }
  }
  return out.take();
}

std::vector<std::int64_t> decode_stack(std::string_view blob, StackEncoding encoding) {
  std::vector<std::int64_t> ids;
  ids.reserve(blob.size());
  decode_stack_into(blob, encoding, ids);
  return ids;
}

void decode_stack_into(std::string_view blob, StackEncoding encoding,
                       std::vector<std::int64_t>& ids) {
  ByteReader in(blob);
  std::int64_t id = 0;
  while (!in.done()) {
    if (encoding == StackEncoding::ids) {
      ids.push_back(static_cast<std::int64_t>(in.varint()));
    } else {
      ids.push_back(id = in.delta_from(id));
    }
  }
}

void decode_stack_into(std::string_view blob, StackEncoding encoding,
                       std::vector<std::uint32_t>& ids) {
  ByteReader in(blob);
  std::int64_t id = 0;
  while (!in.done()) {
    id = encoding == StackEncoding::ids ? static_cast<std::int64_t>(in.varint())
                                        : in.delta_from(id);
    if (id < 0 || id > std::int64_t{UINT32_MAX}) {
      throw CorruptBlob("a stack refers to frame id " + std::to_string(id) +
                        ", outside the 32 bits frame ids have");
    }
    ids.push_back(static_cast<std::uint32_t>(id));
  }
}

std::string stack_key(std::string_view frames_blob, std::int64_t label_set) {
  std::string key(frames_blob);
  if (label_set == 0) return key;
  ByteWriter suffix;
  suffix.varint(static_cast<std::uint64_t>(label_set));
  return key + suffix.take() + '\x80';  // (a varint's last byte is below 0x80)
}

std::string encode_labels(std::span<const Label> labels) {
  ByteWriter out;
  out.varint(labels.size());
  for (const Label& label : labels) {
    out.bytes(label.key);
    out.bytes(label.value);
  }
  return out.take();
}

std::vector<Label> decode_labels(std::string_view blob) {
  ByteReader in(blob);
  std::vector<Label> labels(in.count());
  for (Label& label : labels) {
    label.key = in.bytes();
    label.value = in.bytes();
  }
  return labels;
}

std::int64_t dedup_hash(std::string_view key) { return dedup_hash_of(stable_hash(key)); }

}  // namespace ember::store
