// The web UI's files (web/), embedded by the build into the HTTP module (ember-http.so)
// (web/CMakeLists.txt generates their table), so the page needs no other
// file and fetches nothing at run time.
#pragma once

#include <span>
#include <string_view>

namespace ember::ui {

struct UiAsset {
  std::string_view path;  // "/index.html", "/app.js", "/vendor/uPlot.esm.js"
  std::string_view content_type;
  std::string_view data;
};

// Empty when the build had no UI (web/node_modules missing: see web/README.md).
std::span<const UiAsset> ui_assets();

// The asset at a request path ("/" is "/index.html"), or nullptr.
const UiAsset* find_ui_asset(std::string_view path);

}  // namespace ember::ui
