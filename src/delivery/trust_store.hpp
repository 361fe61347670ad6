#pragma once

#include <openssl/types.h>

#include <string>

namespace hookd::delivery {

// The bundle file of the system's trusted roots: $SSL_CERT_FILE, else OpenSSL's default
// (/etc/ssl/certs/ca-certificates.crt on Debian).
std::string system_bundle_path();

// The store every delivery's TLS handshake verifies against: the system's trusted roots plus
// `ca_file`, if set. The caller frees it (X509_STORE_free). Throws std::runtime_error when a
// file does not load.
X509_STORE* build_trust_store(const std::string& ca_file);

}  // namespace hookd::delivery
