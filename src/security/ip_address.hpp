#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct sockaddr;

namespace hookd::security {

// An IPv4 or IPv6 address. IPv4 keeps its 4 bytes at the front of the 16-byte buffer and zeros
// after them, so the defaulted comparisons are exact.
class IpAddress {
 public:
  // 0.0.0.0, an address is_public_address refuses.
  IpAddress() = default;

  static IpAddress v4(const std::array<uint8_t, 4>& bytes);
  static IpAddress v4(uint32_t host_order);
  static IpAddress v6(const std::array<uint8_t, 16>& bytes);

  // Accepts a bare or bracketed IPv6 address (no zone id) and IPv4 in every spelling that
  // inet_aton and browsers accept: 127.0.0.1, 127.1, 0x7f000001, 2130706433, 0177.0.0.1, and a
  // single trailing dot ("127.0.0.1.") as the WHATWG URL standard does.
  static std::optional<IpAddress> parse(std::string_view text);
  // Only dotted-quad IPv4 and bare IPv6: configuration must not turn "10/8" into 0.0.0.10/8.
  static std::optional<IpAddress> parse_strict(std::string_view text);
  // From an AF_INET or AF_INET6 socket address, as getaddrinfo returns them.
  static std::optional<IpAddress> from_sockaddr(const sockaddr* address);

  bool is_v4() const { return v4_; }
  bool is_v6() const { return !v4_; }
  // 4 bytes for IPv4, 16 for IPv6, network order.
  std::span<const uint8_t> bytes() const {
    return std::span<const uint8_t>(bytes_.data(), v4_ ? 4 : 16);
  }
  // The IPv4 address as a host-order integer; 0 for IPv6.
  uint32_t v4_value() const;

  // Dotted quad for IPv4; RFC 5952 for IPv6 (IPv4-mapped written as ::ffff:a.b.c.d).
  std::string to_string() const;

  // The IPv4 address carried inside an IPv6 one: IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible
  // ::a.b.c.d (but not :: or ::1), NAT64 64:ff9b::a.b.c.d. Empty for IPv4 and other IPv6.
  std::optional<IpAddress> embedded_v4() const;
  // Only the ::ffff:a.b.c.d form, which a dual-stack socket connects to as a.b.c.d.
  std::optional<IpAddress> mapped_v4() const;
  // The ::ffff:a.b.c.d form of an IPv4 address; IPv6 is returned unchanged.
  IpAddress to_v6() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  bool v4_ = true;
  std::array<uint8_t, 16> bytes_{};
};

// An address range: a network address and a prefix length.
class Cidr {
 public:
  // Host bits below the prefix are cleared, so "10.1.2.3/8" is 10.0.0.0/8.
  Cidr(const IpAddress& address, int prefix_length);

  // "10.0.0.0/8", "::1/128", or a bare address meaning /32 or /128. IPv4 must be a dotted quad.
  static std::optional<Cidr> parse(std::string_view text);

  // An IPv4 range also matches the IPv4-mapped IPv6 form of its addresses, and an IPv6 range
  // under ::ffff:0:0/96 matches the IPv4 addresses it maps.
  bool contains(const IpAddress& address) const;

  const IpAddress& network() const { return network_; }
  int prefix_length() const { return prefix_length_; }
  std::string to_string() const;

  friend bool operator==(const Cidr&, const Cidr&) = default;

 private:
  IpAddress network_;
  int prefix_length_ = 0;
};

// False for every address that is not globally reachable unicast: loopback, private, link-local
// (cloud metadata included), CGNAT, documentation, benchmarking, multicast, reserved, and
// broadcast, and cloud host-local services on public space (Azure's 168.63.129.16); IPv6 outside
// 2000::/3 and its special blocks. An IPv6 address carrying an IPv4 one (mapped, compatible, NAT64)
// is judged by that IPv4 address.
bool is_public_address(const IpAddress& address);

}  // namespace hookd::security
