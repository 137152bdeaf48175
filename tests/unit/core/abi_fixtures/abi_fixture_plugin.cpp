// A sink plugin that declares the ABI version and build fingerprint its
// compile definitions fake, built once per case by tests/unit/core/CMakeLists.txt
// (ABI_FIXTURE_MINOR, ABI_FIXTURE_STDLIB_ABI, ABI_FIXTURE_STDLIB_RELEASE,
// ABI_FIXTURE_BOOST_VERSION, ABI_FIXTURE_COMPILER_VERSION), so the loader can
// be shown plugins of other minors and toolchains than its own.
#include "ember/plugin.hpp"

namespace {

class FixtureSink final : public ember::SinkPlugin {
 public:
  std::string_view name() const override { return "abi_fixture"; }
  ember::Status configure(const ember::Options&, ember::Host&) override {
    return ember::Status::ok();
  }
  ember::Status on_window(const ember::Window&) override { return ember::Status::ok(); }
};

constexpr ember::AbiStamp fixture_stamp() {
  ember::AbiStamp stamp = ember::this_build_abi_stamp();
#ifdef ABI_FIXTURE_MINOR
  stamp.minor = ABI_FIXTURE_MINOR;
#endif
#ifdef ABI_FIXTURE_STDLIB_ABI
  stamp.stdlib_abi = ABI_FIXTURE_STDLIB_ABI;
#endif
#ifdef ABI_FIXTURE_STDLIB_RELEASE
  stamp.stdlib_release = ABI_FIXTURE_STDLIB_RELEASE;
#endif
#ifdef ABI_FIXTURE_BOOST_VERSION
  stamp.boost_version = ABI_FIXTURE_BOOST_VERSION;
#endif
#ifdef ABI_FIXTURE_COMPILER_VERSION
  stamp.compiler_version = ABI_FIXTURE_COMPILER_VERSION;
#endif
  return stamp;
}

}  // namespace

EMBER_DETAIL_SINK_PLUGIN(FixtureSink, "abi_fixture", fixture_stamp())
