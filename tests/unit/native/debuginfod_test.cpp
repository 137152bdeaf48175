// debuginfod as the last source of a stripped binary's names and lines,
// through the real libdebuginfod: a file:// server (the layout a debuginfod
// server answers, /buildid/<id>/debuginfo) holding inlined_hot's debug file,
// and a loopback port nothing listens on for a server that is down. The
// integration test (test_debuginfod.py) does the same against Debian's
// debuginfod server under the real agent.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "debuginfod_fetcher.hpp"
#include "ember/elf_file.hpp"
#include "ember/testing/fake_host.hpp"
#include "native_options.hpp"
#include "scratch_dir.hpp"
#include "symbol_cache.hpp"

namespace ember::native {
namespace {

using ember::test::ScratchDir;
namespace fs = std::filesystem;

// The .debug file of inlined_hot under its .build-id tree.
std::string inlined_debug_file() {
  for (const auto& entry : fs::recursive_directory_iterator(EMBER_INLINED_DEBUG_ROOT)) {
    if (entry.path().extension() == ".debug") return entry.path().string();
  }
  return {};
}

std::string build_id_of(const std::string& path) {
  ElfFile elf;
  Status status = ElfFile::open(path, elf);
  EXPECT_TRUE(status.is_ok()) << status.message();
  return elf.build_id();
}

// A directory laid out as a debuginfod server answers, with inlined_hot's file.
std::string file_server(const ScratchDir& scratch) {
  fs::path served = scratch.path() / "server";
  fs::path entry = served / "buildid" / build_id_of(EMBER_INLINED_HOT);
  fs::create_directories(entry);
  fs::copy_file(inlined_debug_file(), entry / "debuginfo");
  return "file://" + served.string();
}

// A loopback port nothing listens on: bound, then closed.
std::string refused_url() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), size), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
  ::close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
}

NativeOptions debuginfod_options(const ScratchDir& scratch, std::string url) {
  NativeOptions options;
  options.debug_dirs = {};  // inlined_hot's debug file is not found locally
  options.cache_dir = (scratch.path() / "cache").string();
  options.debuginfod_urls = {std::move(url)};
  options.debuginfod_urls_from = "debuginfod_urls";
  return options;
}

std::shared_ptr<const BinarySymbols> stripped_inlined_hot(SymbolCache& cache) {
  MappedFile file;
  Status status = MappedFile::open_path(EMBER_INLINED_HOT, file);
  EXPECT_TRUE(status.is_ok()) << status.message();
  return cache.get(file, EMBER_INLINED_HOT, "");
}

// outer_work's address, from the unstripped debug file; 0 if not found.
std::uint64_t outer_work_address() {
  ElfFile debug;
  EXPECT_TRUE(ElfFile::open(inlined_debug_file(), debug).is_ok());
  std::optional<ElfSymbol> outer = debug.find_symbol("outer_work");
  EXPECT_TRUE(outer) << "no outer_work in " << inlined_debug_file();
  return outer ? outer->address : 0;
}

// Looks the address up until the fetch has ended (as a sampled process
// would, sample after sample); what it names then.
ChainHandle frames_once_fetched(const BinarySymbols& symbols, std::uint64_t vaddr) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  ChainHandle chain = symbols.frames(vaddr, "inlined_hot");
  while (symbols.awaiting_debug_file() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    chain = symbols.frames(vaddr, "inlined_hot");
  }
  EXPECT_FALSE(symbols.awaiting_debug_file()) << "the fetch did not end within 20 s";
  return chain;
}

TEST(Debuginfod, StrippedBinaryGetsNamesAndLinesFromTheFetchedDebugFile) {
  ScratchDir scratch;
  ember::testkit::FakeHost host;
  NativeOptions options = debuginfod_options(scratch, file_server(scratch));
  SymbolCache cache(host, options);
  ASSERT_NE(cache.debuginfod(), nullptr) << host.find(LogLevel::warn, "debuginfod");
  auto symbols = stripped_inlined_hot(cache);
  ASSERT_TRUE(symbols->readable()) << symbols->error();

  std::uint64_t outer = outer_work_address();
  ASSERT_NE(outer, 0u);
  ChainHandle chain = frames_once_fetched(*symbols, outer);
  ASSERT_TRUE(chain) << "still unnamed after the fetch";
  const Frame& function = *chain->back();
  EXPECT_EQ(function.name, "outer_work");
  EXPECT_TRUE(function.file.ends_with("/inlined_hot.c")) << function.file;
  EXPECT_GT(function.line, 0u);
  EXPECT_TRUE(symbols->has_dwarf());
  EXPECT_EQ(cache.debuginfod()->fetches(), 1u);
  // Kept in libdebuginfod's cache under cache_dir.
  EXPECT_TRUE(fs::exists(fs::path(options.cache_dir) / "debuginfod" /
                         build_id_of(EMBER_INLINED_HOT) / "debuginfo"));

  // The next process of the same binary, after the first one's symbols are
  // gone: its fetch is served from that cache, the server gone meanwhile.
  symbols.reset();
  fs::remove_all(scratch.path() / "server");
  auto again = stripped_inlined_hot(cache);
  ChainHandle named_again = frames_once_fetched(*again, outer);
  ASSERT_TRUE(named_again);
  EXPECT_EQ(named_again->back()->name, "outer_work");
}

// A file as an earlier fetch left it, of `bytes`, last used long ago.
void old_cached_file(const fs::path& path, std::size_t bytes, std::int64_t seconds) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << std::string(bytes, 'x');
  const timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

TEST(Debuginfod, TheCacheIsTrimmedToItsCapAtStartAndAfterAFetchTheFetchedFileKept) {
  ScratchDir scratch;
  ember::testkit::FakeHost host;
  NativeOptions options = debuginfod_options(scratch, file_server(scratch));
  options.max_debuginfod_cache_bytes = 1 << 20;
  fs::path cache = fs::path(options.cache_dir) / "debuginfod";
  old_cached_file(cache / "aa01" / "debuginfo", 700 << 10, 1'700'000'000);
  old_cached_file(cache / "aa02" / "debuginfo", 700 << 10, 1'700'000'100);
  SymbolCache cache_of_symbols(host, options);
  ASSERT_NE(cache_of_symbols.debuginfod(), nullptr) << host.find(LogLevel::warn, "debuginfod");
  EXPECT_FALSE(fs::exists(cache / "aa01")) << "over the cap at start: the older goes";
  EXPECT_TRUE(fs::exists(cache / "aa02" / "debuginfo"));

  // Another agent's file lands meanwhile and fills the cache to its cap;
  // the fetch brings it over, and what was used least recently goes.
  old_cached_file(cache / "aa03" / "debuginfo", (1 << 20) - (700 << 10), 1'700'000'200);
  auto symbols = stripped_inlined_hot(cache_of_symbols);
  std::uint64_t outer = outer_work_address();
  ASSERT_NE(outer, 0u);
  ChainHandle chain = frames_once_fetched(*symbols, outer);
  ASSERT_TRUE(chain) << "still unnamed after the fetch";
  EXPECT_EQ(chain->back()->name, "outer_work");
  EXPECT_TRUE(fs::exists(cache / build_id_of(EMBER_INLINED_HOT) / "debuginfo"));
  EXPECT_FALSE(fs::exists(cache / "aa02")) << "the least recently used goes";
  EXPECT_TRUE(fs::exists(cache / "aa03" / "debuginfo"));
  std::uintmax_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(cache)) {
    if (entry.is_regular_file() && entry.path().parent_path() != cache) total += entry.file_size();
  }
  EXPECT_LE(total, options.max_debuginfod_cache_bytes);
}

TEST(Debuginfod, WithoutItTheStrippedBinaryStaysUnnamed) {
  ScratchDir scratch;
  ember::testkit::FakeHost host;
  NativeOptions options = debuginfod_options(scratch, file_server(scratch));
  options.debuginfod_urls.clear();
  SymbolCache cache(host, options);
  EXPECT_EQ(cache.debuginfod(), nullptr);
  auto symbols = stripped_inlined_hot(cache);
  std::uint64_t outer = outer_work_address();
  ASSERT_NE(outer, 0u);
  EXPECT_FALSE(symbols->awaiting_debug_file());
  EXPECT_EQ(symbols->frames(outer, "inlined_hot"), nullptr);
}

TEST(Debuginfod, ServerDownIsOneWarningAndAFailedBuildIdIsNotAskedAgain) {
  ScratchDir scratch;
  ember::testkit::FakeHost host;
  NativeOptions options = debuginfod_options(scratch, refused_url());
  SymbolCache cache(host, options);
  ASSERT_NE(cache.debuginfod(), nullptr);
  auto symbols = stripped_inlined_hot(cache);
  ChainHandle chain = frames_once_fetched(*symbols, 0x1000);
  EXPECT_EQ(chain, nullptr);
  EXPECT_FALSE(symbols->has_dwarf());
  EXPECT_EQ(host.count(LogLevel::warn, "debuginfod: no debug file for build id"), 1u);

  // Asked again within the retry interval: failed at once, nothing fetched.
  DebuginfodFetcher& fetcher = *cache.debuginfod();
  std::size_t fetches = fetcher.fetches();
  auto slot = fetcher.request(build_id_of(EMBER_INLINED_HOT));
  EXPECT_EQ(slot->state(), FetchedDebugFile::State::failed);
  EXPECT_EQ(fetcher.fetches(), fetches);

  // Another build id fails too, logged at debug level only.
  auto other = fetcher.request(std::string(40, 'a'));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (other->state() == FetchedDebugFile::State::pending &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(other->state(), FetchedDebugFile::State::failed);
  EXPECT_EQ(host.count(LogLevel::warn, "debuginfod"), 1u);
  EXPECT_EQ(host.count(LogLevel::debug, "debuginfod: no debug file for build id aaaa"), 1u);
}

// Sets an environment variable for one test, and restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(DebuginfodOptions, TheKeyComesFirstThenTheEnvironment) {
  ScopedEnv env("DEBUGINFOD_URLS", "http://a.example http://b.example");
  NativeOptions read;
  ASSERT_TRUE(read_native_options({}, read).is_ok());
  EXPECT_EQ(read.debuginfod_urls,
            (std::vector<std::string>{"http://a.example", "http://b.example"}));
  EXPECT_EQ(read.debuginfod_urls_from, "DEBUGINFOD_URLS");

  ASSERT_TRUE(
      read_native_options({{"debuginfod_urls", {std::string("https://c.example"), ""}}}, read)
          .is_ok());
  EXPECT_EQ(read.debuginfod_urls, (std::vector<std::string>{"https://c.example"}));
  EXPECT_EQ(read.debuginfod_urls_from, "debuginfod_urls");

  std::vector<std::string> list{"http://d.example", "file:///srv/debug"};
  ASSERT_TRUE(read_native_options({{"debuginfod_urls", {list, ""}}}, read).is_ok());
  EXPECT_EQ(read.debuginfod_urls, list);

  // Empty turns it off, whatever the environment says.
  ASSERT_TRUE(read_native_options({{"debuginfod_urls", {std::string(""), ""}}}, read).is_ok());
  EXPECT_TRUE(read.debuginfod_urls.empty());
}

TEST(DebuginfodOptions, OffByDefault) {
  ScopedEnv env("DEBUGINFOD_URLS", nullptr);
  NativeOptions read;
  ASSERT_TRUE(read_native_options({}, read).is_ok());
  EXPECT_TRUE(read.debuginfod_urls.empty());
}

TEST(DebuginfodOptions, TheCacheCapIsInMegabytes) {
  NativeOptions read;
  ASSERT_TRUE(read_native_options({}, read).is_ok());
  EXPECT_EQ(read.max_debuginfod_cache_bytes, std::uint64_t{1} << 30);
  ASSERT_TRUE(read_native_options({{"debuginfod_cache_mb", {std::int64_t{64}, ""}}}, read).is_ok());
  EXPECT_EQ(read.max_debuginfod_cache_bytes, std::uint64_t{64} << 20);
  Status zero = read_native_options({{"debuginfod_cache_mb", {std::int64_t{0}, ""}}}, read);
  ASSERT_FALSE(zero.is_ok());
  EXPECT_NE(zero.message().find("debuginfod_cache_mb"), std::string::npos) << zero.message();
}

TEST(DebuginfodOptions, BadValuesAreErrors) {
  NativeOptions read;
  Status scheme = read_native_options(
      {{"debuginfod_urls", {std::string("debuginfod.example:8002"), "ember.toml:3:1"}}}, read);
  ASSERT_FALSE(scheme.is_ok());
  EXPECT_NE(scheme.message().find("ember.toml:3:1: runtime.native.debuginfod_urls: "
                                  "\"debuginfod.example:8002\" is not an http://"),
            std::string::npos)
      << scheme.message();
  Status type = read_native_options({{"debuginfod_urls", {true, ""}}}, read);
  ASSERT_FALSE(type.is_ok());
  EXPECT_NE(type.message().find("expected a string or an array of strings"), std::string::npos)
      << type.message();
  Status cache = read_native_options({{"debuginfod_urls", {std::string("http://e.example"), ""}},
                                      {"cache_dir", {std::string(""), ""}}},
                                     read);
  ASSERT_FALSE(cache.is_ok());
  EXPECT_NE(cache.message().find("needs cache_dir"), std::string::npos) << cache.message();
}

}  // namespace
}  // namespace ember::native
