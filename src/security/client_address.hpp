#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "security/ip_address.hpp"

namespace hookd::security {

// The address a request comes from, as text (the key of per-client limits). Behind trusted
// proxies the peer is a proxy: then it is the right-most X-Forwarded-For entry that is not a
// trusted proxy itself, since every entry left of the first untrusted one may be forged by
// the client. An unparseable entry stops the walk at the hop that added it. With no trusted
// proxies X-Forwarded-For is ignored. An unparseable peer is returned as given.
std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const std::vector<Cidr>& trusted_proxies);

}  // namespace hookd::security
