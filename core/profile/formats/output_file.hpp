// Writing profile files so that a reader never sees half of one.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/status.hpp"

namespace ember::formats {

// A file written in pieces that appears at its path whole or not at all: the
// pieces go to a temporary file next to it, which commit() syncs and renames
// over the path. Errors name the path and the system's reason.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path) : path_(std::move(path)) {}
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();  // an uncommitted file's temporary goes

  Status open();
  Status write(std::string_view contents);
  Status commit();

 private:
  Status failed(const std::string& reason);

  std::string path_, temp_;
  int fd_ = -1;
};

// `contents` written as one AtomicFile.
Status write_file_atomically(const std::string& path, std::string_view contents);

// Creates `directory` and its parents when missing, and checks that a file
// can be created in it.
Status ensure_directory(const std::string& directory);

// `stem`, or `stem`-2, -3, ... when some `directory`/<stem><extension> is
// taken, so two windows starting in the same second never overwrite each
// other and one window's files share one name.
std::string unused_stem(const std::string& directory, const std::string& stem,
                        const std::vector<std::string>& extensions);

}  // namespace ember::formats
