// The server's token file: tokens with optional names, comments, and the
// three answers a request's Authorization header can get.
#include "token_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace ember::server {
namespace {

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/ember-tokens-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(Tokens, NamesCommentsAndChecks) {
  const std::string path = write_temp("# fleet tokens\n\ns3cr3t web-hosts\n  other\n");
  Tokens tokens;
  Status loaded = Tokens::load(path, tokens);
  unlink(path.c_str());
  ASSERT_TRUE(loaded) << loaded.message();
  EXPECT_EQ(tokens.size(), 2u);
  std::string name;
  EXPECT_EQ(tokens.check("Bearer s3cr3t", name), TokenCheck::accepted);
  EXPECT_EQ(name, "web-hosts");
  EXPECT_EQ(tokens.check("bearer other", name), TokenCheck::accepted);
  EXPECT_EQ(name, "token 2");
  EXPECT_EQ(tokens.check("", name), TokenCheck::missing);
  EXPECT_EQ(tokens.check("Basic czNjcjN0", name), TokenCheck::missing);
  EXPECT_EQ(tokens.check("Bearer s3cr3", name), TokenCheck::unknown);
  EXPECT_EQ(tokens.check("Bearer #", name), TokenCheck::unknown);
}

TEST(Tokens, AFileWithoutTokensIsAnError) {
  const std::string path = write_temp("# nothing yet\n\n");
  Tokens tokens;
  Status loaded = Tokens::load(path, tokens);
  unlink(path.c_str());
  EXPECT_FALSE(loaded);
  EXPECT_NE(loaded.message().find("holds no token"), std::string::npos) << loaded.message();
  EXPECT_FALSE(Tokens::load("/nonexistent/tokens", tokens));
}

}  // namespace
}  // namespace ember::server
