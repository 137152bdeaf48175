// Retention: deleting old windows, then the rows no remaining window refers
// to, then returning the freed pages to the filesystem.
#pragma once

#include <cstdint>

#include "sqlite_db.hpp"
#include "store_writer.hpp"

namespace ember::store {

// Database file size in use (pages not on the free list), without the WAL.
std::int64_t used_bytes(Database& db);

RetentionResult apply_retention(Database& db, const RetentionPolicy& policy, std::int64_t now_ns);

// Deletes frames, stacks, processes and threads no window refers to. Part of
// the caller's transaction.
void collect_garbage(Database& db);

}  // namespace ember::store
