// UnwindObjects shared by every process that maps the same file: known by
// the file's identity, then by build id (the same build in two containers is
// read once). Entries live as long as some process' unwinder holds them.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "ember/host.hpp"
#include "mapped_file.hpp"
#include "unwind_object.hpp"

namespace ember::native {

class UnwindObjectCache {
 public:
  explicit UnwindObjectCache(Host& host) : host_(host) {}

  // nullptr when the file cannot be read (logged once per file).
  std::shared_ptr<const UnwindObject> get(const MappedFile& file, const std::string& path);

 private:
  using Entries = std::unordered_map<std::string, std::weak_ptr<const UnwindObject>>;

  Host& host_;
  std::mutex mutex_;
  Entries by_identity_;
  Entries by_build_id_;
  std::unordered_set<std::string> failed_;  // identities, logged once
  std::size_t inserts_since_sweep_ = 0;
};

}  // namespace ember::native
