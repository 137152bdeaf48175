// The store's schema and its versions. PRAGMA user_version holds the version;
// PRAGMA application_id marks the file as an ember store. Opening for writing
// runs the migrations from the file's version up to kSchemaVersion in one
// transaction; a file from a newer ember is refused, never touched.
#pragma once

#include <cstdint>

#include "sqlite_db.hpp"

namespace ember::store {

inline constexpr std::int64_t kSchemaVersion = 10;
inline constexpr std::int64_t kApplicationId = 0x656d6272;  // "embr"

// Why a file cannot be used as a store; thrown by the checks below.
class StoreRefused : public std::runtime_error {
 public:
  enum class Reason { newer_schema, not_a_store };
  StoreRefused(Reason reason, const std::string& what)
      : std::runtime_error(what), reason_(reason) {}
  Reason reason() const { return reason_; }

 private:
  Reason reason_;
};

// Connection settings of both sides: WAL, foreign keys off, a busy timeout
// (the agent writes while `ember report` reads).
void configure_connection(Database& db, bool writer);

// Throws StoreRefused for a newer schema or a SQLite file that is not ours;
// returns the file's schema version (0 = empty file).
std::int64_t check_store(Database& db, const std::string& path);

// Brings an empty or older store to `target` (tests build old stores with it).
void migrate(Database& db, std::int64_t target = kSchemaVersion);

}  // namespace ember::store
