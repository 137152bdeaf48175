// Who a file is (device, inode, size, time), as the native plugin's caches
// are told when a file is added, for the tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "mapped_file.hpp"

namespace ember::native::test {

inline FileIdentity identity_of(const std::string& path) {
  MappedFile file;
  EXPECT_TRUE(MappedFile::open_path(path, file).is_ok());
  return file.identity();
}

}  // namespace ember::native::test
