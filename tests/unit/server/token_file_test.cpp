// The server's token file: tokens with optional names, comments, and the
// three answers a request's Authorization header can get.
#include "token_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "scratch_dir.hpp"

namespace ember::server {
namespace {

std::string write_temp(const ember::test::ScratchDir& dir, const std::string& text) {
  std::string path = dir.file("tokens");
  std::ofstream(path) << text;
  return path;
}

TEST(Tokens, NamesCommentsAndChecks) {
  ember::test::ScratchDir dir("ember-tokens");
  const std::string path = write_temp(dir, "# fleet tokens\n\ns3cr3t web-hosts\n  other\n");
  Tokens tokens;
  Status loaded = Tokens::load(path, tokens);
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
  ember::test::ScratchDir dir("ember-tokens");
  const std::string path = write_temp(dir, "# nothing yet\n\n");
  Tokens tokens;
  Status loaded = Tokens::load(path, tokens);
  EXPECT_FALSE(loaded);
  EXPECT_NE(loaded.message().find("holds no token"), std::string::npos) << loaded.message();
  EXPECT_FALSE(Tokens::load("/nonexistent/tokens", tokens));
}

}  // namespace
}  // namespace ember::server
