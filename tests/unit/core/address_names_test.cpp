// The host's cache of address symbolizers' answers, by (mapping, address).
#include "process/address_names.hpp"

#include <gtest/gtest.h>

namespace ember {
namespace {

Mapping file_mapping(std::uint64_t start, std::uint64_t end, std::uint64_t inode) {
  Mapping m;
  m.start = start;
  m.end = end;
  m.dev_major = 8;
  m.dev_minor = 1;
  m.inode = inode;
  m.executable = true;
  m.path = "/opt/lib/libjit.so";
  return m;
}

Mapping anonymous(std::uint64_t start, std::uint64_t end) {
  Mapping m;
  m.start = start;
  m.end = end;
  m.executable = true;
  return m;
}

std::vector<FrameHandle> named(const std::string& name) {
  return {std::make_shared<const Frame>(Frame{name, "", "", 0, frame_kind::unknown, false})};
}

TEST(AddressNames, RemembersByAddress) {
  AddressNames names;
  Mapping code = file_mapping(0x1000, 0x2000, 42);
  EXPECT_EQ(names.find(0x1100), nullptr);
  names.remember(0x1100, code, named("f"));
  ASSERT_NE(names.find(0x1100), nullptr);
  EXPECT_EQ(names.find(0x1100)->front()->name, "f");
  EXPECT_EQ(names.find(0x1101), nullptr);
}

TEST(AddressNames, ForgetsAddressesWhoseMappingChanged) {
  AddressNames names;
  Mapping library = file_mapping(0x1000, 0x2000, 42);
  Mapping jit = anonymous(0x10000, 0x20000);
  names.remember(0x1100, library, named("in_library"));
  names.remember(0x10100, jit, named("jitted"));
  names.remember(0x30100, anonymous(0x30000, 0x31000), named("unmapped_later"));

  // The same file and the same anonymous range, one unmapped.
  names.forget_changed({library, jit});
  EXPECT_NE(names.find(0x1100), nullptr);
  EXPECT_NE(names.find(0x10100), nullptr);
  EXPECT_EQ(names.find(0x30100), nullptr) << "its mapping is gone";

  // Another file at the same address; the anonymous range now starts elsewhere.
  names.forget_changed({file_mapping(0x1000, 0x2000, 43), anonymous(0x8000, 0x20000)});
  EXPECT_EQ(names.find(0x1100), nullptr);
  EXPECT_EQ(names.find(0x10100), nullptr);
}

TEST(AddressNames, IsBounded) {
  AddressNames names(4);
  Mapping code = file_mapping(0x1000, 0x2000, 42);
  for (std::uint64_t pc = 0x1000; pc < 0x1000 + 100; ++pc) names.remember(pc, code, named("f"));
  EXPECT_LE(names.size(), 4u);
  EXPECT_NE(names.find(0x1000 + 99), nullptr) << "the latest is kept";
}

}  // namespace
}  // namespace ember
