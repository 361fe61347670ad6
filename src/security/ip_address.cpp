#include "security/ip_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace hookd::security {
namespace {

// The longest IPv6 text, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".
constexpr size_t kMaxV6TextLength = 45;

std::optional<IpAddress> parse_v6(std::string_view text) {
  // inet_pton refuses zone ids too, but say it here so the rule does not hang on libc.
  // A NUL would end the text inet_pton reads, and what follows it would go unchecked.
  if (text.empty() || text.size() > kMaxV6TextLength ||
      text.find_first_of(std::string_view("%\0", 2)) != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string buffer(text);
  in6_addr address{};
  if (inet_pton(AF_INET6, buffer.c_str(), &address) != 1) return std::nullopt;
  std::array<uint8_t, 16> bytes{};
  std::memcpy(bytes.data(), &address, bytes.size());
  return IpAddress::v6(bytes);
}

bool is_legacy_v4_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == 'x' ||
         c == 'X' || c == '.';
}

IpAddress from_in_addr(const in_addr& address) {
  std::array<uint8_t, 4> bytes{};
  std::memcpy(bytes.data(), &address, bytes.size());
  return IpAddress::v4(bytes);
}

std::optional<IpAddress> parse_legacy_v4(std::string_view text) {
  // inet_aton stops at whitespace and ignores what follows, so only its own alphabet gets in.
  if (text.empty() || !std::all_of(text.begin(), text.end(), is_legacy_v4_char)) {
    return std::nullopt;
  }
  // Browsers read "127.0.0.1." as 127.0.0.1; inet_aton does not, so drop one trailing dot.
  if (text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text.back() == '.') return std::nullopt;
  const std::string buffer(text);
  in_addr address{};
  if (inet_aton(buffer.c_str(), &address) == 0) return std::nullopt;
  return from_in_addr(address);
}

// True when the first `bits` bits of `a` and `b` agree.
bool prefix_matches(std::span<const uint8_t> a, std::span<const uint8_t> b, int bits) {
  size_t i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (a[i] != b[i]) return false;
  }
  if (bits == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - bits));
  return (a[i] & mask) == (b[i] & mask);
}

// A prefix of at most 32 bits, compared against the first 32 bits of an address.
struct Block32 {
  uint32_t network;
  int prefix_length;
};

bool in_block(uint32_t value, uint32_t network, int prefix_length) {
  const uint32_t mask = prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - prefix_length);
  return (value & mask) == network;
}

// IANA IPv4 special-purpose registry entries that are not globally reachable, plus multicast.
constexpr Block32 kNonPublicV4[] = {
    {0x00000000, 8},   // 0.0.0.0/8 "this network"
    {0x0a000000, 8},   // 10.0.0.0/8 private
    {0x64400000, 10},  // 100.64.0.0/10 CGNAT
    {0x7f000000, 8},   // 127.0.0.0/8 loopback
    {0xa9fe0000, 16},  // 169.254.0.0/16 link-local, cloud metadata 169.254.169.254
    {0xa83f8110, 32},  // 168.63.129.16/32 Azure WireServer, on public space (see below)
    {0xac100000, 12},  // 172.16.0.0/12 private
    {0xc0000000, 24},  // 192.0.0.0/24 IETF protocol assignments
    {0xc0000200, 24},  // 192.0.2.0/24 TEST-NET-1
    {0xc0586300, 24},  // 192.88.99.0/24 6to4 relay anycast
    {0xc0a80000, 16},  // 192.168.0.0/16 private
    {0xc6120000, 15},  // 198.18.0.0/15 benchmarking
    {0xc6336400, 24},  // 198.51.100.0/24 TEST-NET-2
    {0xcb007100, 24},  // 203.0.113.0/24 TEST-NET-3
    {0xe0000000, 4},   // 224.0.0.0/4 multicast
    {0xf0000000, 4},   // 240.0.0.0/4 reserved, 255.255.255.255 broadcast
};

// Blocks inside 2000::/3 that are not globally reachable; all fit in the first 32 bits.
constexpr Block32 kNonPublicV6Top32[] = {
    {0x20010000, 23},  // 2001::/23 IETF protocol assignments (Teredo among them)
    {0x20010db8, 32},  // 2001:db8::/32 documentation
    {0x20020000, 16},  // 2002::/16 6to4, which tunnels to any IPv4 address
    {0x3fff0000, 20},  // 3fff::/20 documentation
};

// Cloud metadata and host-local services. Most sit in ranges refused above or below:
//   169.254.169.254 AWS, Azure, GCP (metadata.google.internal), Oracle, DigitalOcean, OpenStack
//     instance metadata, 169.254.169.253 AWS DNS, 169.254.169.123 AWS time, 169.254.0.23
//     Tencent Cloud metadata, 169.254.42.42 Scaleway metadata: link-local 169.254.0.0/16;
//   100.100.100.200 Alibaba Cloud metadata, 100.100.2.136 Alibaba DNS: CGNAT 100.64.0.0/10;
//   192.0.0.192 Oracle Cloud metadata (legacy): IETF 192.0.0.0/24;
//   fd00:ec2::254 AWS IMDS over IPv6, fd20:ce::254 GCP metadata, fd00:c1::a9fe:a9fe Oracle,
//     fd00:a9fe:a9fe::1 Akamai/Linode, fd00:42::42 Scaleway: unique local fc00::/7.
// On public address space, answering only inside the provider's network, and so listed in
// kNonPublicV4: 168.63.129.16 Azure WireServer (VM agent, DNS, health probes),
// learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16.

bool is_public_v4(uint32_t value) {
  const auto inside = [value](const Block32& b) {
    return in_block(value, b.network, b.prefix_length);
  };
  return std::none_of(std::begin(kNonPublicV4), std::end(kNonPublicV4), inside);
}

}  // namespace

IpAddress IpAddress::v4(const std::array<uint8_t, 4>& bytes) {
  IpAddress address;
  address.v4_ = true;
  std::copy(bytes.begin(), bytes.end(), address.bytes_.begin());
  return address;
}

IpAddress IpAddress::v4(uint32_t host_order) {
  return v4({static_cast<uint8_t>(host_order >> 24), static_cast<uint8_t>(host_order >> 16),
             static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order)});
}

IpAddress IpAddress::v6(const std::array<uint8_t, 16>& bytes) {
  IpAddress address;
  address.v4_ = false;
  address.bytes_ = bytes;
  return address;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.front() == '[') {
    if (text.size() < 2 || text.back() != ']') return std::nullopt;
    return parse_v6(text.substr(1, text.size() - 2));
  }
  if (text.find(':') != std::string_view::npos) return parse_v6(text);
  return parse_legacy_v4(text);
}

std::optional<IpAddress> IpAddress::parse_strict(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return parse_v6(text);
  // The longest dotted quad is 15 characters; inet_pton refuses the legacy spellings. A NUL
  // would end the text inet_pton reads, and what follows it would go unchecked.
  if (text.empty() || text.size() > 15 || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string buffer(text);
  in_addr address{};
  if (inet_pton(AF_INET, buffer.c_str(), &address) != 1) return std::nullopt;
  return from_in_addr(address);
}

std::optional<IpAddress> IpAddress::from_sockaddr(const sockaddr* address) {
  if (address == nullptr) return std::nullopt;
  if (address->sa_family == AF_INET) {
    sockaddr_in v4_address{};
    std::memcpy(&v4_address, address, sizeof(v4_address));
    return from_in_addr(v4_address.sin_addr);
  }
  if (address->sa_family == AF_INET6) {
    sockaddr_in6 v6_address{};
    std::memcpy(&v6_address, address, sizeof(v6_address));
    std::array<uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &v6_address.sin6_addr, bytes.size());
    return v6(bytes);
  }
  return std::nullopt;
}

uint32_t IpAddress::v4_value() const {
  if (!v4_) return 0;
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         uint32_t{bytes_[3]};
}

std::string IpAddress::to_string() const {
  if (v4_) {
    return std::to_string(bytes_[0]) + '.' + std::to_string(bytes_[1]) + '.' +
           std::to_string(bytes_[2]) + '.' + std::to_string(bytes_[3]);
  }
  if (auto mapped = mapped_v4()) return "::ffff:" + mapped->to_string();

  std::array<uint16_t, 8> groups{};
  for (size_t i = 0; i < groups.size(); ++i) {
    groups[i] = static_cast<uint16_t>((bytes_[2 * i] << 8) | bytes_[2 * i + 1]);
  }
  // RFC 5952: compress the first longest run of two or more zero groups.
  int best_start = -1;
  int best_length = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_length && j - i >= 2) {
      best_start = i;
      best_length = j - i;
    }
    i = j;
  }

  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    char digits[4];
    const auto result = std::to_chars(digits, digits + sizeof(digits), groups[i], 16);
    out.append(digits, result.ptr);
  }
  return out;
}

std::optional<IpAddress> IpAddress::mapped_v4() const {
  if (v4_) return std::nullopt;
  const bool prefix_zero =
      std::all_of(bytes_.begin(), bytes_.begin() + 10, [](uint8_t b) { return b == 0; });
  if (!prefix_zero || bytes_[10] != 0xff || bytes_[11] != 0xff) return std::nullopt;
  return v4({bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
}

std::optional<IpAddress> IpAddress::embedded_v4() const {
  if (v4_) return std::nullopt;
  if (auto mapped = mapped_v4()) return mapped;
  const IpAddress tail = v4({bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
  const auto zero = [](uint8_t b) { return b == 0; };
  // IPv4-compatible ::a.b.c.d; :: and ::1 are the unspecified and loopback IPv6 addresses.
  if (std::all_of(bytes_.begin(), bytes_.begin() + 12, zero)) {
    if (tail.v4_value() <= 1) return std::nullopt;
    return tail;
  }
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052).
  if (bytes_[0] == 0x00 && bytes_[1] == 0x64 && bytes_[2] == 0xff && bytes_[3] == 0x9b &&
      std::all_of(bytes_.begin() + 4, bytes_.begin() + 12, zero)) {
    return tail;
  }
  return std::nullopt;
}

IpAddress IpAddress::to_v6() const {
  if (!v4_) return *this;
  std::array<uint8_t, 16> bytes{};
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  std::copy(bytes_.begin(), bytes_.begin() + 4, bytes.begin() + 12);
  return v6(bytes);
}

Cidr::Cidr(const IpAddress& address, int prefix_length) {
  const int max_length = address.is_v4() ? 32 : 128;
  prefix_length_ = std::clamp(prefix_length, 0, max_length);
  const auto source = address.bytes();
  std::array<uint8_t, 16> bytes{};
  int bits = prefix_length_;
  for (size_t i = 0; i < source.size(); ++i, bits -= 8) {
    if (bits >= 8) {
      bytes[i] = source[i];
    } else if (bits > 0) {
      bytes[i] = static_cast<uint8_t>(source[i] & (0xff << (8 - bits)));
    }
  }
  network_ = address.is_v4() ? IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]})
                             : IpAddress::v6(bytes);
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const size_t slash = text.find('/');
  const auto address = IpAddress::parse_strict(text.substr(0, slash));
  if (!address) return std::nullopt;
  const int max_length = address->is_v4() ? 32 : 128;
  if (slash == std::string_view::npos) return Cidr(*address, max_length);

  const std::string_view length_text = text.substr(slash + 1);
  // from_chars would read "8junk" as 8, so insist on digits only.
  if (length_text.empty() || length_text.size() > 3 ||
      !std::all_of(length_text.begin(), length_text.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int length = 0;
  std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
  if (length > max_length) return std::nullopt;
  return Cidr(*address, length);
}

bool Cidr::contains(const IpAddress& address) const {
  IpAddress candidate = address;
  if (network_.is_v4() && address.is_v6()) {
    const auto mapped = address.mapped_v4();
    if (!mapped) return false;
    candidate = *mapped;
  } else if (network_.is_v6() && address.is_v4()) {
    candidate = address.to_v6();
  }
  return prefix_matches(network_.bytes(), candidate.bytes(), prefix_length_);
}

std::string Cidr::to_string() const {
  return network_.to_string() + '/' + std::to_string(prefix_length_);
}

bool is_public_address(const IpAddress& address) {
  if (address.is_v4()) return is_public_v4(address.v4_value());
  // An IPv6 address that carries an IPv4 one reaches (or is translated to) that IPv4 host.
  if (auto embedded = address.embedded_v4()) return is_public_v4(embedded->v4_value());

  const auto bytes = address.bytes();
  const uint32_t top32 = (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) |
                         (uint32_t{bytes[2]} << 8) | uint32_t{bytes[3]};
  // Only 2000::/3 is global unicast; this also refuses ::, ::1, fc00::/7 (fd00:ec2::254, the
  // EC2 metadata address, included), fe80::/10, fec0::/10 and ff00::/8.
  if (!in_block(top32, 0x20000000, 3)) return false;
  return std::none_of(
      std::begin(kNonPublicV6Top32), std::end(kNonPublicV6Top32),
      [top32](const Block32& b) { return in_block(top32, b.network, b.prefix_length); });
}

}  // namespace hookd::security
