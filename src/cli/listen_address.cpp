#include "cli/listen_address.hpp"

#include <charconv>
#include <stdexcept>

namespace hookd::cli {

ListenAddress parse_listen_address(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    throw std::invalid_argument("listen address \"" + std::string(text) + "\" must be HOST:PORT");
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535) {
    throw std::invalid_argument("listen address \"" + std::string(text) + "\" has a bad port");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  return ListenAddress{std::string(host), static_cast<uint16_t>(port)};
}

std::string own_base_url(const ListenAddress& address, uint16_t bound_port, bool tls) {
  std::string host = address.host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(bound_port);
}

}  // namespace hookd::cli
