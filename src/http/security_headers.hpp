#pragma once

#include <array>
#include <string_view>
#include <utility>

namespace hookd::http {

// The twelve headers every response of the server carries, with the values of the original
// API page, in its order.
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kSecurityHeaders{{
    {"Access-Control-Expose-Headers", "authorization, content-type"},
    {"Access-Control-Allow-Headers", "authorization, content-type"},
    {"Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS, PUT"},
    {"Access-Control-Allow-Origin", "*"},
    {"Strict-Transport-Security", "max-age=31536000; includeSubDomains"},
    {"X-Frame-Options", "SAMEORIGIN"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-XSS-Protection", "1; mode=block"},
    {"Content-Security-Policy",
     "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"},
    {"Referrer-Policy", "no-referrer"},
    {"Feature-Policy", "self"},
    {"Permissions-policy", "interest-cohort=()"},
}};

}  // namespace hookd::http
