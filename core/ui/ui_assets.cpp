#include "ui_assets.hpp"

namespace ember::ui {

const UiAsset* find_ui_asset(std::string_view path) {
  if (path == "/") path = "/index.html";
  for (const UiAsset& asset : ui_assets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace ember::ui
