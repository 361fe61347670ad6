#include "security/certificate_authority.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <memory>

#include "support/temp_dir.hpp"

namespace hookd::security {
namespace {

std::unique_ptr<X509, decltype(&X509_free)> parse(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return {PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free};
}

// What a TLS client does with the CA as its only trust anchor: X509_V_OK or the error.
int verify_as_server(const PemCertificate& ca, const PemCertificate& server) {
  auto ca_cert = parse(ca.certificate);
  auto leaf = parse(server.certificate);
  EXPECT_TRUE(ca_cert && leaf);
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca_cert.get());
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> context(X509_STORE_CTX_new(),
                                                                          X509_STORE_CTX_free);
  X509_STORE_CTX_init(context.get(), store.get(), leaf.get(), nullptr);
  X509_STORE_CTX_set_purpose(context.get(), X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(context.get()), X509_V_FLAG_X509_STRICT);
  if (X509_verify_cert(context.get()) == 1) return X509_V_OK;
  return X509_STORE_CTX_get_error(context.get());
}

TEST(CertificateAuthority, IssuesAServerCertificateItsCaVerifiesForEachName) {
  const PemCertificate ca = make_certificate_authority("hookd demo CA", valid_from_now(1));
  const PemCertificate server =
      issue_server_certificate(ca, {"127.0.0.1", "localhost", "::1"}, valid_from_now(1));
  EXPECT_TRUE(ca.private_key.starts_with("-----BEGIN PRIVATE KEY-----")) << ca.private_key;
  EXPECT_EQ(verify_as_server(ca, server), X509_V_OK);

  auto leaf = parse(server.certificate);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_host(leaf.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(leaf.get(), "example.com", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_ip_asc(leaf.get(), "127.0.0.2", 0), 1);
  EXPECT_EQ(X509_check_ca(leaf.get()), 0) << "a server certificate must not sign others";
}

TEST(CertificateAuthority, AnotherCaDoesNotVerifyIt) {
  const PemCertificate ca = make_certificate_authority("one", valid_from_now(1));
  const PemCertificate other = make_certificate_authority("other", valid_from_now(1));
  const PemCertificate server = issue_server_certificate(ca, {"localhost"}, valid_from_now(1));
  EXPECT_NE(verify_as_server(other, server), X509_V_OK);
}

TEST(CertificateAuthority, AnExpiredCertificateIsRefused) {
  const PemCertificate ca = make_certificate_authority("ca", valid_from_now(1));
  const auto start = std::chrono::sys_days{std::chrono::year{2020} / 1 / 1};
  const PemCertificate server =
      issue_server_certificate(ca, {"localhost"}, Validity{start, start + std::chrono::days{1}});
  EXPECT_EQ(verify_as_server(ca, server), X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST(CertificateAuthority, RefusesWhatIsNoName) {
  const PemCertificate ca = make_certificate_authority("ca", valid_from_now(1));
  EXPECT_THROW(issue_server_certificate(ca, {}, valid_from_now(1)), CertificateError);
  EXPECT_THROW(issue_server_certificate(ca, {"a,DNS:b"}, valid_from_now(1)), CertificateError);
  EXPECT_THROW(issue_server_certificate(ca, {"a b"}, valid_from_now(1)), CertificateError);
  EXPECT_THROW(issue_server_certificate(ca, {""}, valid_from_now(1)), CertificateError);
  EXPECT_THROW(issue_server_certificate(PemCertificate{"junk", ca.private_key}, {"localhost"},
                                        valid_from_now(1)),
               CertificateError);
}

TEST(CertificateAuthority, WritesTheChainAndAKeyOnlyItsOwnerReads) {
  const testing::TempDir dir;
  const PemCertificate ca = make_certificate_authority("ca", valid_from_now(1));
  const PemCertificate server = issue_server_certificate(ca, {"localhost"}, valid_from_now(1));
  const std::string chain = dir.file("chain.pem");
  const std::string key = dir.file("key.pem");
  std::ofstream(key) << "an older, wider file";
  ::chmod(key.c_str(), 0644);
  write_certificate_files(server, ca.certificate, chain, key);

  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(read(chain), server.certificate + ca.certificate);
  EXPECT_EQ(read(key), server.private_key);
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THROW(write_certificate_files(server, {}, dir.file("no/such/dir.pem"), key),
               CertificateError);
}

}  // namespace
}  // namespace hookd::security
