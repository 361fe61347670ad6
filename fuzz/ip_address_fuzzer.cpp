// IP address and CIDR parsing (security::IpAddress, security::Cidr) and the public-address rule.
#include "fuzz_support.hpp"
#include "security/ip_address.hpp"

using namespace hookd;
using security::Cidr;
using security::IpAddress;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);

  if (const auto address = IpAddress::parse(text)) {
    FUZZ_CHECK(address->bytes().size() == (address->is_v4() ? 4u : 16u));
    // Written out, it reads back as itself, strictly too.
    const std::string written = address->to_string();
    FUZZ_CHECK(IpAddress::parse(written) == address);
    FUZZ_CHECK(IpAddress::parse_strict(written) == address);
    // An IPv4 address and its IPv4-mapped IPv6 form are judged alike, as is an IPv6 address
    // carrying an IPv4 one.
    const bool is_public = security::is_public_address(*address);
    FUZZ_CHECK(security::is_public_address(address->to_v6()) == is_public);
    if (const auto inner = address->embedded_v4()) {
      FUZZ_CHECK(inner->is_v4() && security::is_public_address(*inner) == is_public);
    }
    if (address->is_v4()) FUZZ_CHECK(address->to_v6().mapped_v4() == address);
    // Every range holds its own addresses, an IPv4 one also their mapped form.
    const int max_prefix = address->is_v4() ? 32 : 128;
    const int prefix = size % (max_prefix + 1);
    const Cidr range(*address, prefix);
    FUZZ_CHECK(range.contains(*address));
    if (address->is_v4()) FUZZ_CHECK(range.contains(address->to_v6()));
  }

  if (const auto strict = IpAddress::parse_strict(text)) {
    FUZZ_CHECK(IpAddress::parse(text) == strict);
  }

  if (const auto range = Cidr::parse(text)) {
    const int max_prefix = range->network().is_v4() ? 32 : 128;
    FUZZ_CHECK(range->prefix_length() >= 0 && range->prefix_length() <= max_prefix);
    FUZZ_CHECK(range->contains(range->network()));
    FUZZ_CHECK(Cidr::parse(range->to_string()) == range);
  }
  return 0;
}
