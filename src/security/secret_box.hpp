#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hookd::security {

// A key that seals secrets at rest: 32 random bytes and the id every ciphertext it makes carries.
struct SecretKey {
  std::array<unsigned char, 32> bytes{};
  std::string id;  // 16 hex digits: the first 8 bytes of SHA-256("hookd secret key" || bytes)

  SecretKey() = default;
  explicit SecretKey(const std::array<unsigned char, 32>& key_bytes);
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  ~SecretKey();  // wipes the bytes
};

// A key file, its text, a ciphertext, or a key ring that cannot do what was asked.
struct SecretBoxError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A new key from the OpenSSL CSPRNG.
SecretKey generate_secret_key();
// A key file's text: the key's 32 bytes in standard base64 on one line (44 characters), as
// `openssl rand -base64 32` writes it; surrounding whitespace is ignored.
SecretKey parse_secret_key(std::string_view text);
std::string format_secret_key(const SecretKey& key);
// Reads a key file; throws SecretBoxError naming the path (never the key) when it cannot.
SecretKey load_secret_key_file(const std::string& path);
// Writes a new key to `path`, created with O_EXCL and mode 0600 and synced; throws when the
// file exists or cannot be written.
SecretKey create_secret_key_file(const std::string& path);
// True when the file can be read or written by anyone but its owner.
bool readable_by_others(const std::string& path);

// Keys that seal secrets with AES-256-GCM: the first key seals, every key opens. A sealed
// secret is "hk1:<key id>:<base64 of nonce(12) | ciphertext | tag(16)>"; the version and key
// id, and the caller's `binding` (which row and column the secret belongs to), are
// authenticated with it, so a ciphertext copied to another row or column does not open.
class KeyRing {
 public:
  explicit KeyRing(std::vector<SecretKey> keys);  // throws when empty or when ids repeat

  const std::string& sealing_key_id() const { return keys_.front().id; }
  bool has_key(std::string_view id) const;
  std::vector<std::string> key_ids() const;

  // A fresh random nonce each time: sealing the same secret twice gives different texts.
  std::string seal(std::string_view plaintext, std::string_view binding) const;
  // Throws SecretBoxError when `sealed` is malformed, names a key the ring lacks, or fails
  // authentication (tampered, or sealed for another binding).
  std::string open(std::string_view sealed, std::string_view binding) const;

  // True when `text` has the sealed layout throughout (prefix, 16 hex digits, base64 of at
  // least a nonce and a tag); plaintext stored before sealing (32 alphanumerics, or a
  // secretHttp) does not, unless it was written to look exactly like one.
  static bool is_sealed(std::string_view text);
  // The key id a sealed text names; empty when `text` is not sealed.
  static std::optional<std::string> key_id_of(std::string_view text);

 private:
  const SecretKey* find(std::string_view id) const;
  std::vector<SecretKey> keys_;
};

}  // namespace hookd::security
