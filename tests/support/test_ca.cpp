#include "support/test_ca.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "security/certificate_authority.hpp"

namespace hookd::testing {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TestCertificates make_test_certificates(const std::string& dir,
                                        const std::vector<std::string>& names, int days) {
  if (days < 1) throw std::invalid_argument("make_test_certificates: days must be at least 1");
  TestCertificates c{dir + "/ca.pem", dir + "/server-chain.pem", dir + "/server-key.pem",
                     dir + "/ca-key.pem"};
  const security::PemCertificate ca =
      security::make_certificate_authority("hookd test CA", security::valid_from_now(days + 1));
  const security::PemCertificate server =
      security::issue_server_certificate(ca, names, security::valid_from_now(days));
  security::write_certificate_files(ca, {}, c.ca_cert, c.ca_key);
  security::write_certificate_files(server, ca.certificate, c.server_cert, c.server_key);
  return c;
}

TestCertificates make_server_certificate(const std::string& dir, const TestCertificates& trusted,
                                         const std::vector<std::string>& names, bool expired) {
  TestCertificates c{trusted.ca_cert, dir + "/leaf-chain.pem", dir + "/leaf-key.pem",
                     trusted.ca_key};
  const security::PemCertificate ca{read_file(trusted.ca_cert), read_file(trusted.ca_key)};
  security::Validity validity = security::valid_from_now(1);
  if (expired) {
    // 2020-01-01 to 2020-01-02, UTC.
    validity.not_before = std::chrono::sys_days{std::chrono::year{2020} / 1 / 1};
    validity.not_after = validity.not_before + std::chrono::days{1};
  }
  const security::PemCertificate server = security::issue_server_certificate(ca, names, validity);
  security::write_certificate_files(server, ca.certificate, c.server_cert, c.server_key);
  return c;
}

}  // namespace hookd::testing
