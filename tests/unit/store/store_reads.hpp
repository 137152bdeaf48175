// Reads a store's range back as one merged window, for the store tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "store_reader.hpp"

namespace ember::store::test {

// With `per_process`, StoreReader::read_per_process.
inline Window read_range(const std::string& path, std::int64_t from, std::int64_t to,
                         bool per_process = false) {
  std::unique_ptr<StoreReader> reader;
  Status opened = StoreReader::open(path, reader);
  EXPECT_TRUE(opened) << opened.message();
  Window merged;
  if (!opened) return merged;
  Status read = per_process ? reader->read_per_process(from, to, merged)
                            : reader->read(from, to, merged);
  EXPECT_TRUE(read) << read.message();
  return merged;
}

}  // namespace ember::store::test
