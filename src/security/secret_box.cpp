#include "security/secret_box.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include "security/base64.hpp"
#include "security/secrets.hpp"

namespace hookd::security {
namespace {

constexpr std::string_view kPrefix = "hk1:";
constexpr size_t kKeyIdLength = 16;
constexpr size_t kNonceLength = 12;
constexpr size_t kTagLength = 16;
// A key file is one short line; anything much longer is not a key file.
constexpr std::streamsize kMaxKeyFileBytes = 4096;
// Secrets are at most a few hundred bytes; the bound keeps a corrupt row from allocating much.
constexpr size_t kMaxSealedLength = 64 * 1024;

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string key_id_for(const std::array<unsigned char, 32>& bytes) {
  // A domain-separated hash: the id names the key without being usable as a check value of it.
  constexpr std::string_view kLabel = "hookd secret key";
  std::string input(kLabel);
  input.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::string digest;
  try {
    digest = sha256_hex(input);
  } catch (const std::runtime_error&) {
    OPENSSL_cleanse(input.data(), input.size());
    throw SecretBoxError("SHA-256 failed");
  }
  OPENSSL_cleanse(input.data(), input.size());
  return digest.substr(0, kKeyIdLength);
}

struct CipherContextFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

CipherContext new_context() {
  CipherContext ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw SecretBoxError("out of memory for a cipher context");
  return ctx;
}

std::string associated_data(std::string_view key_id, std::string_view binding) {
  std::string aad(kPrefix);
  aad.append(key_id).push_back(':');
  aad.append(binding);
  return aad;
}

}  // namespace

SecretKey::SecretKey(const std::array<unsigned char, 32>& key_bytes)
    : bytes(key_bytes), id(key_id_for(key_bytes)) {}

SecretKey::~SecretKey() { OPENSSL_cleanse(bytes.data(), bytes.size()); }

SecretKey generate_secret_key() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw SecretBoxError("the system random number generator failed");
  }
  SecretKey key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

SecretKey parse_secret_key(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) throw SecretBoxError("the key file is empty");
  text = text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
  auto decoded = base64_decode(text);
  if (!decoded || decoded->size() != 32) {
    if (decoded) OPENSSL_cleanse(decoded->data(), decoded->size());
    throw SecretBoxError(
        "a key file holds 32 bytes in base64 on one line (openssl rand -base64 32)");
  }
  std::array<unsigned char, 32> bytes{};
  std::memcpy(bytes.data(), decoded->data(), bytes.size());
  OPENSSL_cleanse(decoded->data(), decoded->size());
  SecretKey key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

std::string format_secret_key(const SecretKey& key) {
  return base64_encode(key.bytes.data(), key.bytes.size()) + "\n";
}

SecretKey load_secret_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SecretBoxError("cannot read the key file " + path);
  std::string text(static_cast<size_t>(kMaxKeyFileBytes) + 1, '\0');
  in.read(text.data(), kMaxKeyFileBytes + 1);
  text.resize(static_cast<size_t>(in.gcount()));
  try {
    if (text.size() > static_cast<size_t>(kMaxKeyFileBytes)) {
      throw SecretBoxError("the key file is too long");
    }
    SecretKey key = parse_secret_key(text);
    OPENSSL_cleanse(text.data(), text.size());
    return key;
  } catch (const SecretBoxError& e) {
    OPENSSL_cleanse(text.data(), text.size());
    throw SecretBoxError(path + ": " + e.what());
  }
}

SecretKey create_secret_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw SecretBoxError("cannot create the key file " + path + ": " + std::strerror(errno));
  }
  SecretKey key = generate_secret_key();
  std::string text = format_secret_key(key);
  bool ok = true;
  size_t written = 0;
  while (ok && written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved_errno = errno;
  OPENSSL_cleanse(text.data(), text.size());
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    throw SecretBoxError("cannot write the key file " + path + ": " + std::strerror(saved_errno));
  }
  return key;
}

bool readable_by_others(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  return (st.st_mode & 077) != 0;
}

KeyRing::KeyRing(std::vector<SecretKey> keys) : keys_(std::move(keys)) {
  if (keys_.empty()) throw SecretBoxError("a key ring needs at least one key");
  for (size_t i = 0; i < keys_.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (keys_[i].id == keys_[j].id) {
        throw SecretBoxError("the key " + keys_[i].id + " is listed twice");
      }
    }
  }
}

bool KeyRing::has_key(std::string_view id) const { return find(id) != nullptr; }

std::vector<std::string> KeyRing::key_ids() const {
  std::vector<std::string> ids;
  for (const SecretKey& k : keys_) ids.push_back(k.id);
  return ids;
}

const SecretKey* KeyRing::find(std::string_view id) const {
  for (const SecretKey& k : keys_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

std::string KeyRing::seal(std::string_view plaintext, std::string_view binding) const {
  const SecretKey& key = keys_.front();
  std::string raw(kNonceLength + plaintext.size() + kTagLength, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(raw.data());
  auto* body = nonce + kNonceLength;
  auto* tag = body + plaintext.size();
  if (RAND_bytes(nonce, static_cast<int>(kNonceLength)) != 1) {
    throw SecretBoxError("the system random number generator failed");
  }
  const std::string aad = associated_data(key.id, binding);
  CipherContext ctx = new_context();
  int len = 0;
  const bool ok =
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes.data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), body, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), body + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagLength), tag) == 1;
  if (!ok) throw SecretBoxError("AES-256-GCM sealing failed");
  std::string out(kPrefix);
  out.append(key.id).push_back(':');
  out += base64_encode(nonce, raw.size());
  return out;
}

std::string KeyRing::open(std::string_view sealed, std::string_view binding) const {
  const auto id = key_id_of(sealed);
  if (!id) throw SecretBoxError("not a sealed secret");
  const SecretKey* key = find(*id);
  if (!key) throw SecretBoxError("sealed with the key " + *id + ", which no key file holds");
  auto raw = base64_decode(sealed.substr(kPrefix.size() + kKeyIdLength + 1));
  if (!raw || raw->size() < kNonceLength + kTagLength) {
    throw SecretBoxError("a sealed secret is malformed");
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(raw->data());
  const auto* body = nonce + kNonceLength;
  const size_t body_len = raw->size() - kNonceLength - kTagLength;
  std::string tag(raw->data() + kNonceLength + body_len, kTagLength);
  const std::string aad = associated_data(key->id, binding);
  std::string plaintext(body_len, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  CipherContext ctx = new_context();
  int len = 0;
  const bool ok =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key->bytes.data(), nonce) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out, &len, body, static_cast<int>(body_len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagLength),
                          tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out + len, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    throw SecretBoxError(
        "a sealed secret failed authentication (altered, or moved from "
        "another webhook or field)");
  }
  return plaintext;
}

bool KeyRing::is_sealed(std::string_view text) { return key_id_of(text).has_value(); }

std::optional<std::string> KeyRing::key_id_of(std::string_view text) {
  if (text.size() > kMaxSealedLength || !text.starts_with(kPrefix)) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  if (text.size() < kKeyIdLength + 1 || text[kKeyIdLength] != ':') return std::nullopt;
  const std::string_view id = text.substr(0, kKeyIdLength);
  const std::string_view payload = text.substr(kKeyIdLength + 1);
  // At least a nonce and a tag: 28 bytes are 40 base64 characters.
  if (!is_lower_hex(id) || payload.size() < 40 || !is_base64(payload)) return std::nullopt;
  return std::string(id);
}

}  // namespace hookd::security
