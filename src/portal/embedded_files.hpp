#pragma once

#include <span>
#include <string_view>

namespace hookd::portal {

// A file of portal/, built into the binary (cmake/embed_files.cmake generates the table).
struct EmbeddedFile {
  std::string_view name;  // "app.js", relative to portal/
  std::string_view bytes;
};

std::span<const EmbeddedFile> embedded_files();

}  // namespace hookd::portal
