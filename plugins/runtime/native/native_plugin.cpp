#include "native_plugin.hpp"

#include <exception>

#include "frame_names.hpp"
#include "process_symbolizer.hpp"

namespace ember::native {

Status NativePlugin::configure(const Options& options, Host& host) {
  try {
    NativeOptions read;
    if (Status status = read_native_options(options, read); !status) return status;
    host_ = &host;
    options_ = std::move(read);
    cache_ = std::make_shared<SymbolCache>(host, options_);
    unwind_cache_ = std::make_shared<UnwindObjectCache>(host);
    unwind_states_ = std::make_shared<UnwindStateLru>();
    kernel_ = std::make_unique<KernelSymbolizer>(host, options_);
    return Status::ok();
  } catch (const std::exception& error) {
    return Status::error(std::string("runtime.native: ") + error.what());
  }
}

std::unique_ptr<ProcessHandler> NativePlugin::attach(const ProcessRef& process,
                                                     std::shared_ptr<const BinaryData> data) {
  (void)data;
  if (!host_) return nullptr;  // not configured
  try {
    return std::make_unique<ProcessSymbolizer>(process, cache_, *host_, options_, unwind_cache_,
                                               unwind_states_);
  } catch (const std::exception& error) {
    host_->log(LogLevel::error, "pid " + std::to_string(process.pid) +
                                    ": cannot attach the native symbolizer: " + error.what());
    return nullptr;
  }
}

void NativePlugin::symbolize_kernel(std::span<const __u64> addresses,
                                    std::vector<FrameHandle>& leaf_first) {
  if (!kernel_) return;
  std::size_t before = leaf_first.size();
  try {
    kernel_->symbolize(addresses, leaf_first);
  } catch (const std::exception& error) {
    host_->log(LogLevel::error, std::string("symbolizing kernel frames failed: ") + error.what());
    leaf_first.resize(before);
    for (__u64 address : addresses) {
      leaf_first.push_back(offset_frame("[kernel]", address, frame_kind::kernel));
    }
  }
}

}  // namespace ember::native
