#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hookd::cli {

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};

// "HOST:PORT", "[IPv6]:PORT" or ":PORT" (all interfaces). Throws std::invalid_argument.
ListenAddress parse_listen_address(std::string_view text);

}  // namespace hookd::cli
