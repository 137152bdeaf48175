// The code object reader over a hand-laid process memory (3.11's layout):
// what it reads at a code address must be a live code object whose check is
// the sample's, or nothing. A block that held a code object and now holds
// another object, or is free, keeps the old object's co_filename and
// co_firstlineno where the new one leaves them untouched: the sample's check
// still matches, and its other words are whatever the new owner wrote there.
#include "code_reader.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bpf/cpython_bpf.h"
#include "detect.hpp"

namespace ember::cpython {
namespace {

constexpr std::uint64_t kCodeType = 0x7f0000001000;
constexpr std::uint64_t kStrType = 0x7f0000002000;
constexpr std::uint64_t kBytesType = 0x7f0000003000;
constexpr std::uint64_t kDictType = 0x7f0000004000;

// A process' memory: objects laid out at chosen addresses.
class Memory {
 public:
  std::vector<std::uint8_t>& at(std::uint64_t address, std::size_t size) {
    auto& block = blocks_[address];
    if (block.size() < size) block.resize(size);
    return block;
  }

  template <typename T>
  void put(std::uint64_t address, std::size_t offset, T value) {
    std::memcpy(blocks_.at(address).data() + offset, &value, sizeof(value));
  }

  // A compact ASCII str (PEP 393).
  void str(const cpython_offsets& off, std::uint64_t address, const std::string& text) {
    auto& raw = at(address, off.unicode_ascii_size + text.size() + 1);
    std::fill(raw.begin(), raw.end(), 0);
    put<std::uint64_t>(address, 0, 1);
    put<std::uint64_t>(address, 8, kStrType);
    put<std::int64_t>(address, off.unicode_length, static_cast<std::int64_t>(text.size()));
    std::uint32_t state = (1u << off.unicode_kind_shift) | (1u << off.unicode_compact_bit) |
                          (1u << off.unicode_ascii_bit);
    put(address, off.unicode_state, state);
    std::memcpy(raw.data() + off.unicode_ascii_size, text.data(), text.size());
  }

  void bytes(const cpython_offsets& off, std::uint64_t address) {
    auto& raw = at(address, off.bytes_sval + 1);
    std::fill(raw.begin(), raw.end(), 0);
    put<std::uint64_t>(address, 0, 1);
    put<std::uint64_t>(address, 8, kBytesType);
  }

  bool read(std::uint64_t address, void* buffer, std::size_t size) const {
    auto it = blocks_.upper_bound(address);
    if (it == blocks_.begin()) return false;
    --it;
    std::uint64_t offset = address - it->first;
    if (offset + size > it->second.size()) return false;
    std::memcpy(buffer, it->second.data() + offset, size);
    return true;
  }

 private:
  std::map<std::uint64_t, std::vector<std::uint8_t>> blocks_;
};

struct Process {
  static constexpr std::uint64_t kCode = 0x7f1000000000;
  static constexpr std::uint64_t kFile = 0x7f1000001000;
  static constexpr std::uint64_t kName = 0x7f1000002000;
  static constexpr std::uint64_t kQualname = 0x7f1000003000;
  static constexpr std::uint64_t kLines = 0x7f1000004000;
  static constexpr std::uint64_t kOtherName = 0x7f1000005000;
  static constexpr std::int32_t kFirstLine = 148;

  const cpython_offsets& off = *find_offsets(3, 11);
  Memory memory;

  // optparse's `class AmbiguousOptionError` body, as a sample saw it.
  Process() {
    memory.str(off, kFile, "/usr/lib/python3.11/optparse.py");
    memory.str(off, kName, "AmbiguousOptionError");
    memory.str(off, kQualname, "AmbiguousOptionError");
    memory.str(off, kOtherName, "m18_method");
    memory.bytes(off, kLines);
    auto& code = memory.at(kCode, off.code_size);
    std::fill(code.begin(), code.end(), 0);
    memory.put<std::uint64_t>(kCode, 0, 1);
    memory.put<std::uint64_t>(kCode, 8, kCodeType);
    memory.put(kCode, off.code_filename, kFile);
    memory.put(kCode, off.code_firstlineno, kFirstLine);
    memory.put(kCode, off.code_name, kName);
    memory.put(kCode, off.code_qualname, kQualname);
    memory.put(kCode, off.code_linetable, kLines);
  }

  std::uint64_t sampled_check() const { return cpython_code_check(kFile, kFirstLine); }

  CodeReader reader() const {
    return CodeReader(
        off, [this](std::uint64_t a, void* b, std::size_t n) { return memory.read(a, b, n); },
        ObjectTypes{kCodeType, kStrType, kBytesType});
  }
};

TEST(CodeReader, ReadsALiveCodeObject) {
  Process process;
  auto info = process.reader().read_code(Process::kCode);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->name, "AmbiguousOptionError");
  EXPECT_EQ(info->file, "/usr/lib/python3.11/optparse.py");
  EXPECT_EQ(info->first_line, Process::kFirstLine);
  EXPECT_EQ(info->check, process.sampled_check());
}

// The block reused by another object (a dict's entries, say) whose words
// land on co_name and co_qualname but not on co_filename and
// co_firstlineno: a generated module's name with optparse's file, under the
// check the sample recorded.
TEST(CodeReader, ABlockNowHoldingAnotherObjectIsNoCodeObject) {
  Process process;
  process.memory.put<std::uint64_t>(Process::kCode, 0, 1);
  process.memory.put<std::uint64_t>(Process::kCode, 8, kDictType);
  process.memory.put<std::uint64_t>(Process::kCode, process.off.code_name, Process::kOtherName);
  process.memory.put<std::uint64_t>(Process::kCode, process.off.code_qualname, 0x7f1000006000);
  EXPECT_FALSE(process.reader().read_code(Process::kCode));
}

// Freed: the allocator's free-list words over ob_refcnt (pymalloc: the next
// free block; glibc's tcache: the next chunk, mangled, and its key over
// ob_type too), the rest as the object left it until the block's next
// owner writes there. As an agent reading seconds late found one: a
// generated module's method name at co_name, no str at co_qualname,
// optparse's co_filename and co_firstlineno, so the sample's check.
TEST(CodeReader, AFreedBlockIsNoCodeObject) {
  Process process;
  process.memory.put<std::uint64_t>(Process::kCode, process.off.code_name, Process::kOtherName);
  process.memory.put<std::uint64_t>(Process::kCode, process.off.code_qualname, 0x7f1000006000);
  struct Freed {
    std::uint64_t refcount_word;
    std::uint64_t type_word;
  };
  for (Freed freed : {Freed{0, kCodeType}, Freed{0x7f1000008000, kCodeType},
                      Freed{0x562287cf9, 0xc16f84fb39222b9c}}) {
    process.memory.put(Process::kCode, 0, freed.refcount_word);
    process.memory.put(Process::kCode, 8, freed.type_word);
    auto info = process.reader().read_code(Process::kCode);
    EXPECT_FALSE(info) << std::hex << freed.refcount_word << " " << freed.type_word << ": "
                       << info->name << " in " << info->file;
  }
}

// Freed between the read of its fields and of its strings.
TEST(CodeReader, ACodeObjectFreedWhileReadIsNotRead) {
  Process process;
  int code_reads = 0;
  CodeReader reader(
      process.off,
      [&](std::uint64_t a, void* b, std::size_t n) {
        if (a == Process::kCode && ++code_reads == 2) {
          process.memory.put<std::uint64_t>(Process::kCode, 0, 0x7f1000008000);
        }
        return process.memory.read(a, b, n);
      },
      ObjectTypes{kCodeType, kStrType, kBytesType});
  EXPECT_FALSE(reader.read_code(Process::kCode));
  EXPECT_EQ(code_reads, 2);
}

// A name whose str was freed and its memory taken by another object.
TEST(CodeReader, AStringThatIsNoLongerAStrIsNotRead) {
  Process process;
  process.memory.put<std::uint64_t>(Process::kQualname, 8, kDictType);
  EXPECT_FALSE(process.reader().read_str(Process::kQualname));
  process.memory.put<std::uint64_t>(Process::kName, 0, 0);
  EXPECT_FALSE(process.reader().read_code(Process::kCode));
}

}  // namespace
}  // namespace ember::cpython
