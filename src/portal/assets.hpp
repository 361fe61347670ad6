#pragma once

#include <optional>
#include <string_view>

namespace hookd::portal {

// One file of the portal as served: its bytes and its media type.
struct Asset {
  std::string_view bytes;
  std::string_view content_type;
};

// The asset of that name ("index.html", "app.js"); nothing for a name the portal does not have.
std::optional<Asset> find_asset(std::string_view name);

// The media type served for a file name, by its extension.
std::string_view content_type_for(std::string_view name);

}  // namespace hookd::portal
