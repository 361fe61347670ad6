#include "portal/assets.hpp"

#include "portal/embedded_files.hpp"

namespace hookd::portal {

std::string_view content_type_for(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

std::optional<Asset> find_asset(std::string_view name) {
  for (const EmbeddedFile& file : embedded_files()) {
    if (file.name == name) return Asset{file.bytes, content_type_for(file.name)};
  }
  return std::nullopt;
}

}  // namespace hookd::portal
