#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// A certificate authority made on the spot, and server certificates it signs: what a local
// HTTPS receiver needs (`hookd demo`'s, the tests'). P-256 keys, SHA-256 signatures, PEM.
namespace hookd::security {

struct CertificateError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A certificate and its private key (PKCS#8), both PEM.
struct PemCertificate {
  std::string certificate;
  std::string private_key;
};

struct Validity {
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
};

// From a minute ago (clocks differ a little) for `days` days.
Validity valid_from_now(int days);

// A self-signed CA certificate (basicConstraints CA:TRUE, keyCertSign) named `common_name`.
// Throws CertificateError.
PemCertificate make_certificate_authority(std::string_view common_name, const Validity& validity);

// A server certificate signed by `ca` for `names` (at least one): each becomes a
// subjectAltName, an IPv4 or IPv6 literal as IP, anything else as DNS; the first is also the
// common name. Throws CertificateError, also when `ca` does not parse.
PemCertificate issue_server_certificate(const PemCertificate& ca,
                                        const std::vector<std::string>& names,
                                        const Validity& validity);

// Writes `certificate` followed by `issuer_chain` (PEM; empty for a CA's own) to `chain_file`,
// and its key to `key_file`, readable by its owner only. Files are replaced. Throws
// CertificateError.
void write_certificate_files(const PemCertificate& certificate, std::string_view issuer_chain,
                             const std::string& chain_file, const std::string& key_file);

}  // namespace hookd::security
