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

// The server's own URL, "http://127.0.0.1:8080", for where no portal.base_url is set. An
// address of all interfaces is named by the loopback address.
std::string own_base_url(const ListenAddress& address, uint16_t bound_port, bool tls);

}  // namespace hookd::cli
