#include "security/certificate_authority.hpp"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <memory>

namespace hookd::security {
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Certificate = std::unique_ptr<X509, Deleter<X509_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO_free>>;
using BigNumber = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

[[noreturn]] void fail(std::string_view what) {
  const unsigned long code = ERR_get_error();
  std::string message = "certificate: " + std::string(what);
  if (code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    message += ": ";
    message += text;
  }
  ERR_clear_error();
  throw CertificateError(message);
}

void check(int ok, std::string_view what) {
  if (ok != 1) fail(what);
}

Key generate_key() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) fail("cannot generate a P-256 key");
  return key;
}

bool is_ip_literal(const std::string& name) {
  unsigned char bytes[16];
  return inet_pton(AF_INET, name.c_str(), bytes) == 1 ||
         inet_pton(AF_INET6, name.c_str(), bytes) == 1;
}

time_t to_time_t(std::chrono::system_clock::time_point t) {
  return std::chrono::system_clock::to_time_t(t);
}

// A new certificate for `key` named `common_name`: version 3, a random positive 127-bit
// serial, the validity; issuer and extensions are the caller's.
Certificate new_certificate(EVP_PKEY* key, const std::string& common_name,
                            const Validity& validity) {
  Certificate cert(X509_new());
  if (!cert) fail("out of memory");
  check(X509_set_version(cert.get(), X509_VERSION_3), "cannot set the version");
  unsigned char serial[16];
  check(RAND_bytes(serial, sizeof serial), "no random serial");
  serial[0] &= 0x7f;
  BigNumber number(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!number || BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    fail("cannot set the serial");
  }
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), to_time_t(validity.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), to_time_t(validity.not_after)) == nullptr) {
    fail("cannot set the validity");
  }
  check(X509_set_pubkey(cert.get(), key), "cannot set the public key");
  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                   static_cast<int>(common_name.size()), -1, 0),
        "cannot set the common name");
  return cert;
}

// Adds the extension `nid` with OpenSSL's configuration syntax (`value`), as `openssl x509
// -extfile` would read it.
void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  Extension extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  if (!extension) fail("cannot make the extension " + value);
  check(X509_add_ext(cert, extension.get(), -1), "cannot add the extension " + value);
}

std::string pem_of(const Certificate& cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) fail("cannot write a certificate");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string pem_of(const Key& key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("cannot write a private key");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

void write_file(const std::string& path, std::string_view text, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw CertificateError("certificate: cannot write " + path);
  }
  // After writing, so that a file that existed with wider permissions is narrowed too.
  if (::chmod(path.c_str(), mode) != 0) throw CertificateError("certificate: cannot chmod " + path);
}

Bio reader_of(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) fail("out of memory");
  return bio;
}

}  // namespace

Validity valid_from_now(int days) {
  const auto now = std::chrono::system_clock::now();
  return Validity{now - std::chrono::minutes(1), now + std::chrono::hours(24) * days};
}

PemCertificate make_certificate_authority(std::string_view common_name, const Validity& validity) {
  Key key = generate_key();
  Certificate cert = new_certificate(key.get(), std::string(common_name), validity);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())),
        "cannot set the issuer");
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) fail("cannot sign the CA");
  return PemCertificate{pem_of(cert), pem_of(key)};
}

PemCertificate issue_server_certificate(const PemCertificate& ca,
                                        const std::vector<std::string>& names,
                                        const Validity& validity) {
  if (names.empty()) throw CertificateError("certificate: a server certificate needs a name");
  for (const std::string& name : names) {
    // A comma would end the name in OpenSSL's extension syntax; control bytes are no name.
    const bool plain =
        !name.empty() && name.size() <= 253 && name.find_first_of(", ") == std::string::npos &&
        std::all_of(name.begin(), name.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
    if (!plain) throw CertificateError("certificate: \"" + name + "\" is no host name or address");
  }
  Bio cert_reader = reader_of(ca.certificate);
  Certificate ca_cert(PEM_read_bio_X509(cert_reader.get(), nullptr, nullptr, nullptr));
  if (!ca_cert) fail("the CA certificate does not parse");
  Bio key_reader = reader_of(ca.private_key);
  Key ca_key(PEM_read_bio_PrivateKey(key_reader.get(), nullptr, nullptr, nullptr));
  if (!ca_key) fail("the CA key does not parse");

  Key key = generate_key();
  Certificate cert = new_certificate(key.get(), names.front(), validity);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())),
        "cannot set the issuer");
  std::string alt_names;
  for (const std::string& name : names) {
    if (!alt_names.empty()) alt_names += ',';
    alt_names += (is_ip_literal(name) ? "IP:" : "DNS:") + name;
  }
  add_extension(cert.get(), ca_cert.get(), NID_subject_alt_name, alt_names);
  add_extension(cert.get(), ca_cert.get(), NID_basic_constraints, "CA:FALSE");
  add_extension(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) <= 0) fail("cannot sign the certificate");
  return PemCertificate{pem_of(cert), pem_of(key)};
}

void write_certificate_files(const PemCertificate& certificate, std::string_view issuer_chain,
                             const std::string& chain_file, const std::string& key_file) {
  write_file(chain_file, certificate.certificate + std::string(issuer_chain), 0644);
  write_file(key_file, certificate.private_key, 0600);
}

}  // namespace hookd::security
