#include "delivery/trust_store.hpp"

#include <openssl/x509.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace hookd::delivery {

std::string system_bundle_path() {
  const char* env_file = std::getenv(X509_get_default_cert_file_env());
  return env_file ? env_file : X509_get_default_cert_file();
}

// The roots come from the bundle file alone: OpenSSL's directory lookup, the other half of its
// defaults, probes the file system during every verification and made each handshake tens of
// milliseconds slower.
X509_STORE* build_trust_store(const std::string& ca_file) {
  X509_STORE* store = X509_STORE_new();
  const std::string bundle = system_bundle_path();
  bool ok = store != nullptr;
  if (ok && access(bundle.c_str(), R_OK) == 0) {
    ok = X509_STORE_load_file(store, bundle.c_str()) == 1;
  } else if (ok) {
    ok = X509_STORE_set_default_paths(store) == 1;
  }
  if (ok && !ca_file.empty()) ok = X509_STORE_load_file(store, ca_file.c_str()) == 1;
  if (!ok) {
    X509_STORE_free(store);
    throw std::runtime_error("cannot load the trusted certificates" +
                             (ca_file.empty() ? std::string() : " of " + ca_file));
  }
  return store;
}

}  // namespace hookd::delivery
