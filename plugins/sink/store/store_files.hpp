// File-level moves around the store: setting a damaged store aside (never
// deleting it) and the place new windows go when the configured file belongs
// to a newer ember or another program.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ember/status.hpp"

namespace ember::store_sink {

// Whether `path` is a regular file that starts as an SQLite database does
// ("SQLite format 3\0"): only such a file may be a damaged store, set aside.
// A directory or another program's file at the store's path is a mistake in
// the path, never moved.
bool is_sqlite_file(const std::string& path);

// Renames `path` (and its -wal) to "<path>.damaged-<UTC time>" and drops its
// -shm (a cache). `moved_to` is the new name.
Status move_aside(const std::string& path, std::int64_t now_ns, std::string& moved_to);

// "/var/lib/ember/ember.db" -> "/var/lib/ember/ember-schema2.db": a file only
// this schema version writes, beside the one it cannot use.
std::string sibling_for_schema(const std::string& path, std::int64_t schema_version);

// Gives the store at `path`, its -wal and -shm, the mode and group a new file
// of the agent gets (ember/private_files.hpp): a store an older ember left
// readable to everyone is not anymore. `changed` lists the files it changed;
// `problems` what it could not do.
void make_store_private(const std::string& path, std::vector<std::string>& changed,
                        std::vector<std::string>& problems);

// Creates the store's directory when missing; an error names it.
Status ensure_parent_directory(const std::string& path);

}  // namespace ember::store_sink
