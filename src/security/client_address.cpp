#include "security/client_address.hpp"

#include <algorithm>

namespace hookd::security {
namespace {

constexpr size_t kMaxForwardedEntries = 64;  // hops examined; a longer header is cut there

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool trusted(const IpAddress& address, const std::vector<Cidr>& proxies) {
  return std::any_of(proxies.begin(), proxies.end(),
                     [&](const Cidr& c) { return c.contains(address); });
}

}  // namespace

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const std::vector<Cidr>& trusted_proxies) {
  auto current = IpAddress::parse_strict(peer);
  if (!current) return std::string(peer);
  size_t hops = 0;
  while (trusted(*current, trusted_proxies) && !forwarded_for.empty() &&
         hops++ < kMaxForwardedEntries) {
    const size_t comma = forwarded_for.rfind(',');
    const std::string_view entry =
        trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for =
        comma == std::string_view::npos ? std::string_view{} : forwarded_for.substr(0, comma);
    auto next = IpAddress::parse_strict(entry);
    if (!next) break;
    current = *next;
  }
  // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d: one client, one key.
  if (auto v4 = current->mapped_v4()) return v4->to_string();
  return current->to_string();
}

}  // namespace hookd::security
