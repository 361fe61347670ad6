// The checks of `hookd doctor` that look outward: trusted roots, name resolution, a receiver.
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <memory>

#include "cli/delivery_setup.hpp"
#include "cli/doctor_checks.hpp"
#include "delivery/resolver.hpp"
#include "delivery/trust_store.hpp"
#include "security/webhook_url.hpp"

namespace hookd::cli::checkup {
namespace {

struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
using TrustStore = std::unique_ptr<X509_STORE, StoreFree>;

size_t certificate_count(X509_STORE* store) {
  size_t n = 0;
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    if (X509_OBJECT_get_type(sk_X509_OBJECT_value(objects, i)) == X509_LU_X509) ++n;
  }
  return n;
}

Check fail(std::string name, std::string found, std::string fix) {
  return Check{std::move(name), Verdict::kFail, std::move(found), std::move(fix)};
}

std::string resolver_source(const config::DeliveryConfig& d) {
  if (d.dns_servers.empty()) return "the system's resolver (/etc/resolv.conf, /etc/hosts)";
  std::string servers;
  for (const std::string& s : d.dns_servers) servers += (servers.empty() ? "" : ", ") + s;
  return "delivery.dns_servers (" + servers + ")";
}

// One lookup, waited for: the resolver answers within its timeout, which bounds the wait.
delivery::Resolution resolve_now(const config::DeliveryConfig& d, const std::string& name) {
  const SystemClock clock;
  delivery::AresResolver resolver(resolver_options(d), clock);
  auto answer = std::make_shared<std::promise<delivery::Resolution>>();
  std::future<delivery::Resolution> result = answer->get_future();
  resolver.resolve(name, [answer](delivery::Resolution r) { answer->set_value(std::move(r)); });
  if (result.wait_for(d.dns_timeout + std::chrono::seconds(2)) != std::future_status::ready) {
    delivery::Resolution r;
    r.error = delivery::ResolveError::kTimeout;
    r.detail = "did not resolve in time";
    return r;
  }
  return result.get();
}

std::string addresses_text(const std::vector<security::IpAddress>& addresses) {
  std::string out;
  for (const auto& a : addresses) out += (out.empty() ? "" : ", ") + a.to_string();
  return out;
}

CURLcode use_trust_store(CURL*, void* ssl_ctx, void* store) {
  SSL_CTX_set1_cert_store(static_cast<SSL_CTX*>(ssl_ctx), static_cast<X509_STORE*>(store));
  return CURLE_OK;
}

// Connects to `address` only (the guard checked it) and completes a verified TLS handshake.
std::string tls_handshake_problem(const config::DeliveryConfig& d,
                                  const security::WebhookTarget& target,
                                  const security::IpAddress& address, X509_STORE* trust) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* easy = curl_easy_init();
  if (!easy) return "libcurl could not start";
  const std::string host =
      target.host.starts_with('[') ? target.host.substr(1, target.host.size() - 2) : target.host;
  const std::string ip = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  const std::string pin = host + ":" + std::to_string(target.port) + ":" + ip;
  curl_slist* resolve = curl_slist_append(nullptr, pin.c_str());
  const std::string url = "https://" + target.host + ":" + std::to_string(target.port) + "/";
  char error[CURL_ERROR_SIZE] = {};
  bool set = curl_easy_setopt(easy, CURLOPT_URL, url.c_str()) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_RESOLVE, resolve) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_CONNECT_ONLY, 1L) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                              static_cast<long>(d.connect_timeout.count())) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(d.timeout.count())) ==
                 CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_CAINFO, nullptr) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, use_trust_store) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, trust) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
  std::string problem;
  if (!set) {
    problem = "libcurl refused an option";
  } else if (const CURLcode code = curl_easy_perform(easy); code != CURLE_OK) {
    problem = std::string(curl_easy_strerror(code)) + (error[0] ? std::string(": ") + error : "");
  }
  curl_easy_cleanup(easy);
  curl_slist_free_all(resolve);
  return problem;
}

}  // namespace

Check check_trust_store(const State& state) {
  const std::string& ca_file = state.config->delivery.ca_file;
  const std::string bundle = delivery::system_bundle_path();
  if (::access(bundle.c_str(), R_OK) != 0) {
    return fail("trust store",
                "the system's trusted roots " + bundle + " cannot be read: " + std::strerror(errno),
                "install them (apt-get install ca-certificates) or name a bundle in "
                "SSL_CERT_FILE");
  }
  size_t system_count = 0;
  try {
    system_count = certificate_count(TrustStore(delivery::build_trust_store("")).get());
  } catch (const std::exception& e) {
    return fail("trust store", bundle + ": " + e.what(),
                "reinstall the roots (apt-get install --reinstall ca-certificates)");
  }
  std::string found = bundle + " holds " + std::to_string(system_count) + " trusted root(s)";
  if (ca_file.empty()) return Check{"trust store", Verdict::kOk, found, {}};
  if (::access(ca_file.c_str(), R_OK) != 0) {
    return fail("trust store",
                "delivery.ca_file " + ca_file + " cannot be read: " + std::strerror(errno),
                "make it readable by the user hookd runs as, or correct delivery.ca_file");
  }
  try {
    const size_t all = certificate_count(TrustStore(delivery::build_trust_store(ca_file)).get());
    found += "; delivery.ca_file " + ca_file + " adds " +
             std::to_string(all > system_count ? all - system_count : 0) + " more";
  } catch (const std::exception&) {
    return fail("trust store",
                "delivery.ca_file " + ca_file + " holds no certificate OpenSSL can load",
                "put the receivers' CA certificates there in PEM (-----BEGIN CERTIFICATE-----)");
  }
  return Check{"trust store", Verdict::kOk, found, {}};
}

Check check_dns(const State& state, const std::string& name, bool required_address) {
  const config::DeliveryConfig& d = state.config->delivery;
  const std::string source = resolver_source(d);
  delivery::Resolution r;
  try {
    r = resolve_now(d, name);
  } catch (const std::exception& e) {
    return fail("dns", source + " cannot start: " + e.what(),
                "check /etc/resolv.conf or delivery.dns_servers");
  }
  if (r.error == delivery::ResolveError::kNone) {
    return Check{"dns",
                 Verdict::kOk,
                 name + " resolves to " + addresses_text(r.addresses) + " through " + source,
                 {}};
  }
  if (r.error == delivery::ResolveError::kNotFound && !required_address) {
    return Check{"dns", Verdict::kOk, source + " answers (" + name + ": " + r.detail + ")", {}};
  }
  return fail("dns", name + " " + r.detail + " through " + source,
              "check /etc/resolv.conf or delivery.dns_servers: the name server must answer "
              "within delivery.dns_timeout (" +
                  std::to_string(d.dns_timeout.count()) + "ms)");
}

Check check_url(const State& state, const std::string& url) {
  const config::DeliveryConfig& d = state.config->delivery;
  const security::DestinationGuard guard = build_guard(d);
  const security::UrlCheck checked = security::check_webhook_url(url, guard);
  if (checked.problem == security::UrlProblem::kForbiddenDestination) {
    return fail("url", url + " is refused by the destination guard: " + checked.detail,
                "deliveries go to public addresses only; let a private range through with "
                "delivery.allow_targets if this receiver is meant to be reached");
  }
  if (checked.problem != security::UrlProblem::kNone) {
    return fail("url", url + " is no webhook URL: " + checked.detail,
                "give an https:// URL as a webhook's webhookUrl would be");
  }
  const security::WebhookTarget& target = *checked.target;
  std::vector<security::IpAddress> addresses;
  if (target.literal) {
    addresses.push_back(*target.literal);
  } else if (target.is_localhost) {
    addresses = {*security::IpAddress::parse("127.0.0.1"), *security::IpAddress::parse("::1")};
  } else {
    const delivery::Resolution r = resolve_now(d, target.host);
    if (r.error != delivery::ResolveError::kNone) {
      return fail("url", target.host + " " + r.detail + " through " + resolver_source(d),
                  "check the host name, /etc/resolv.conf or delivery.dns_servers");
    }
    addresses = r.addresses;
  }
  if (!guard.allows_all(addresses)) {
    return fail("url",
                target.host + " resolves to " + addresses_text(addresses) +
                    ", refused by the destination guard (every address must be public or in "
                    "delivery.allow_targets)",
                "deliveries go to public addresses only; let a private range through with "
                "delivery.allow_targets if this receiver is meant to be reached");
  }
  TrustStore trust;
  try {
    trust.reset(delivery::build_trust_store(d.ca_file));
  } catch (const std::exception& e) {
    return fail("url", e.what(), "mend the trust store first (see above)");
  }
  const std::string problem = tls_handshake_problem(d, target, addresses.front(), trust.get());
  if (!problem.empty()) {
    return fail("url",
                "the TLS handshake with " + target.host + " (" + addresses.front().to_string() +
                    ") failed: " + problem,
                "check that the receiver listens on port " + std::to_string(target.port) +
                    " with a certificate for " + target.host +
                    " that the system's roots or delivery.ca_file trust");
  }
  return Check{"url",
               Verdict::kOk,
               url + " (" + addresses_text(addresses) +
                   ") passes the destination guard and completes a verified TLS handshake",
               {}};
}

}  // namespace hookd::cli::checkup
