#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hookd::security {

// `length` characters of [A-Za-z0-9] drawn from the OpenSSL CSPRNG without modulo bias.
std::string random_alphanumeric(size_t length);

// A webhook's signing secret: 32 characters of [A-Za-z0-9]. Read as base64 it decodes to a
// 24-byte key, which is what Standard Webhooks libraries do with it.
std::string generate_hmac_secret();

// An API token: 122 random bits in the UUID v4 layout the platform's tokens have always had.
std::string generate_token();

// True when `token` has the layout generate_token() produces; anything else is rejected
// before it reaches the store.
bool is_well_formed_token(std::string_view token);

// The only form in which a token is stored: its SHA-256, hex-encoded. Tokens carry 122 bits of
// entropy, so a fast unsalted hash is enough to make a stolen table useless.
std::string hash_token(std::string_view token);

// SHA-256 of `bytes`, lower-case hex.
std::string sha256_hex(std::string_view bytes);

// Constant-time equality for secrets and digests.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace hookd::security
