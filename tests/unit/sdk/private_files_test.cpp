#include "ember/private_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "scratch_dir.hpp"

namespace ember {
namespace {

// A file with `mode`, removed at the end; the umask is set for the test and
// put back (the test runs on one thread).
struct Fixture {
  Fixture(mode_t mask, mode_t mode) : old_mask(::umask(mask)) {
    std::ofstream(path).flush();
    ::chmod(path.c_str(), mode);
  }
  ~Fixture() { ::umask(old_mask); }
  mode_t mode() const {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 07777;
  }
  mode_t old_mask;
  ember::test::ScratchDir dir{"ember-private"};
  std::string path = dir.file("file");
};

TEST(PrivateFiles, ReadsTheUmaskWithoutChangingIt) {
  Fixture fixture(027, 0600);
  EXPECT_EQ(current_umask(), 027u);
  EXPECT_EQ(current_umask(), 027u);
}

TEST(PrivateFiles, AReadableFileGetsTheModeOfANewOne) {
  Fixture fixture(077, 0644);
  bool changed = false;
  ASSERT_TRUE(make_private_like_new(fixture.path, changed).is_ok());
  EXPECT_TRUE(changed);
  EXPECT_EQ(fixture.mode(), 0600u);
  ASSERT_TRUE(make_private_like_new(fixture.path, changed).is_ok());
  EXPECT_FALSE(changed) << "already private: nothing to do";

  ::umask(027);  // [agent] group: its members read
  ASSERT_TRUE(make_private_like_new(fixture.path, changed).is_ok());
  EXPECT_TRUE(changed);
  EXPECT_EQ(fixture.mode(), 0640u);
}

TEST(PrivateFiles, NoFileIsNothingToDo) {
  Fixture fixture(077, 0644);
  bool changed = true;
  EXPECT_TRUE(make_private_like_new(fixture.path + "-absent", changed).is_ok());
  EXPECT_FALSE(changed);
}

TEST(PrivateFiles, AnotherUsersFileIsLeftAlone) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give the file away";
  Fixture fixture(077, 0644);
  ASSERT_EQ(::chown(fixture.path.c_str(), 65534, 65534), 0);
  bool changed = true;
  ASSERT_TRUE(make_private_like_new(fixture.path, changed).is_ok());
  EXPECT_FALSE(changed);
  EXPECT_EQ(fixture.mode(), 0644u);
}

}  // namespace
}  // namespace ember
