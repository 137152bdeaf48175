#include "made_private_message.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace ember::formats {
namespace {

TEST(MadePrivateMessage, SaysWhatAndTheModeANewFileGets) {
  const mode_t old_mask = ::umask(027);
  const std::string message = made_private_message("/var/lib/ember/ember.db");
  ::umask(077);
  const std::string strict = made_private_message("3 profile files in /p");
  ::umask(old_mask);
  EXPECT_EQ(message,
            "made /var/lib/ember/ember.db private (mode 0640, the agent's group): an earlier "
            "ember left them readable");
  EXPECT_EQ(strict,
            "made 3 profile files in /p private (mode 0600, the agent's group): an earlier ember "
            "left them readable");
}

}  // namespace
}  // namespace ember::formats
