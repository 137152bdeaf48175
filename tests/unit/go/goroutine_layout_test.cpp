// Go releases from build versions, and where g is in an executable's TLS
// (the layout offsets themselves are checked against a real Go's DWARF in
// go_binaries_test.cpp).
#include "goroutine_layout.hpp"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace ember::go {
namespace {

TEST(GoRelease, OfBuildVersions) {
  EXPECT_EQ(go_release("go1.19.8"), "go1.19");
  EXPECT_EQ(go_release("go1.19"), "go1.19");
  EXPECT_EQ(go_release("go1.20rc1"), "go1.20");
  EXPECT_EQ(go_release("go1.19.8 X:boringcrypto"), "go1.19");
  EXPECT_EQ(go_release("devel go1.22-abc"), "");
  EXPECT_EQ(go_release("go1."), "");
  EXPECT_EQ(go_release(""), "");
}

TEST(GoroutineLayout, OnlyForKnownReleases) {
  EXPECT_TRUE(goroutine_layout("go1.19.13").has_value());
  EXPECT_FALSE(goroutine_layout("go1.20.1").has_value());
  EXPECT_FALSE(goroutine_layout("go1.1").has_value());
  EXPECT_FALSE(goroutine_layout("").has_value());
}

// An ELF header and, when memsz is given, a PT_TLS of that size and alignment.
std::vector<std::uint8_t> image_with_tls(std::uint64_t memsz, std::uint64_t align) {
  std::vector<std::uint8_t> image(sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr), 0);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_type = ET_EXEC;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = memsz ? 1 : 0;
  std::memcpy(image.data(), &eh, sizeof eh);
  Elf64_Phdr ph{};
  ph.p_type = PT_TLS;
  ph.p_memsz = memsz;
  ph.p_align = align;
  std::memcpy(image.data() + sizeof eh, &ph, sizeof ph);
  return image;
}

std::optional<std::int64_t> tls_offset_of(const std::vector<std::uint8_t>& image,
                                          std::string& why) {
  ElfView view;
  EXPECT_TRUE(ElfView::from_memory(image, view).is_ok());
  return g_tls_offset(view, why);
}

TEST(GTlsOffset, GosOwnWordBelowTheThreadPointer) {
  std::string why;
  auto none = image_with_tls(0, 0);
  EXPECT_EQ(tls_offset_of(none, why), std::optional<std::int64_t>(-8));  // internal link
  auto word = image_with_tls(8, 8);
  EXPECT_EQ(tls_offset_of(word, why), std::optional<std::int64_t>(-8));  // external link
  auto more = image_with_tls(24, 8);
  EXPECT_FALSE(tls_offset_of(more, why).has_value());  // C thread-locals beside it
  EXPECT_NE(why.find("24 bytes"), std::string::npos) << why;
  auto aligned = image_with_tls(8, 64);
  EXPECT_FALSE(tls_offset_of(aligned, why).has_value());
}

}  // namespace
}  // namespace ember::go
