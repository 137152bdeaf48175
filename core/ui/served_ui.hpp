// The web UI served by the agent itself ([ui] enabled = true): the same page
// and API as `ember ui`, over the agent's own store, from threads of its own
// (cpp-httplib's pool and one listening thread). It reads the store
// read-only through its own connection, so neither the sampler nor the store
// sink ever waits for it, and it keeps fewer reads than `ember ui`, none after
// a minute without requests (the agent stays small). Serving starts when start() returns and stops when the
// ServedUi is destroyed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ember/status.hpp"
#include "listen_address.hpp"

namespace ember::ui {

class ServedUi {
 public:
  // Binds `address` (port 0: any free one) and serves the store at
  // `store_path`, which may not exist yet (store_when_ready.hpp). `now` is
  // the wall clock in nanoseconds.
  static Status start(const std::string& store_path, const ListenAddress& address,
                      std::int64_t (*now)(), std::unique_ptr<ServedUi>& out);
  ~ServedUi();

  int port() const;

  struct Parts;

 private:
  explicit ServedUi(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace ember::ui
