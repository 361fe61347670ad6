#pragma once

#include <string>
#include <vector>

namespace hookd::testing {

// A certificate authority made at test time (security/certificate_authority.hpp), and a server
// certificate it signed. Files live in `dir` and are PEM.
struct TestCertificates {
  std::string ca_cert;
  std::string server_cert;  // chain: server certificate then CA
  std::string server_key;
  std::string ca_key;
};

// `names` become the certificate's subjectAltNames: IP literals as IP, others as DNS.
// `days` (at least 1) is the server certificate's validity. Throws std::runtime_error.
TestCertificates make_test_certificates(const std::string& dir,
                                        const std::vector<std::string>& names = {"localhost",
                                                                                 "127.0.0.1"},
                                        int days = 1);

// Another server certificate signed by `trusted`'s CA, for `names`, in files under `dir`;
// `expired` makes one whose validity ended in 2020. Its ca_cert and ca_key are `trusted`'s.
TestCertificates make_server_certificate(const std::string& dir, const TestCertificates& trusted,
                                         const std::vector<std::string>& names,
                                         bool expired = false);

}  // namespace hookd::testing
