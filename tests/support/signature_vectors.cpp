#include "support/signature_vectors.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "support/hookd_process.hpp"

namespace hookd::testing {

SignatureVectors load_signature_vectors() {
  const char* override_path = std::getenv("HOOKD_SIGNATURE_VECTORS");
  const std::string path = override_path && *override_path
                               ? std::string(override_path)
                               : hookd_source_dir() + "/openapi/signature-vectors.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  const boost::json::object doc = boost::json::parse(text).as_object();
  SignatureVectors out;
  out.now = doc.at("now").to_number<int64_t>();
  out.tolerance_seconds = doc.at("toleranceSeconds").to_number<int64_t>();
  for (const auto& item : doc.at("vectors").as_array()) {
    const auto& o = item.as_object();
    SignatureVector v;
    v.name = o.at("name").as_string();
    v.secret = o.at("secret").as_string();
    v.id = o.at("id").as_string();
    v.timestamp = o.at("timestamp").as_string();
    v.body = o.at("body").as_string();
    v.signature = o.at("signature").as_string();
    v.valid = o.at("valid").as_bool();
    const auto* only = o.if_contains("signatureOnlyValid");
    v.signature_only_valid = only ? only->as_bool() : v.valid;
    if (const auto* secrets = o.if_contains("signingSecrets")) {
      for (const auto& s : secrets->as_array()) v.signing_secrets.emplace_back(s.as_string());
    }
    out.vectors.push_back(std::move(v));
  }
  if (out.vectors.empty()) throw std::runtime_error(path + " holds no vectors");
  return out;
}

}  // namespace hookd::testing
