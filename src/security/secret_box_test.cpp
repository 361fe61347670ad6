#include "security/secret_box.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace hookd::security {
namespace {

KeyRing ring_of(std::vector<SecretKey> keys) { return KeyRing(std::move(keys)); }

TEST(SecretBox, SealsAndOpensWithTheSameBinding) {
  const KeyRing ring = ring_of({generate_secret_key()});
  const std::string sealed = ring.seal("bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB", "webhook 1 secretHmac");
  EXPECT_TRUE(sealed.starts_with("hk1:" + ring.sealing_key_id() + ":")) << sealed;
  EXPECT_EQ(sealed.find("bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB"), std::string::npos);
  EXPECT_EQ(ring.open(sealed, "webhook 1 secretHmac"), "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB");
  EXPECT_TRUE(KeyRing::is_sealed(sealed));
  EXPECT_EQ(KeyRing::key_id_of(sealed), ring.sealing_key_id());
}

TEST(SecretBox, EachSealHasItsOwnNonce) {
  const KeyRing ring = ring_of({generate_secret_key()});
  EXPECT_NE(ring.seal("same", "b"), ring.seal("same", "b"));
  EXPECT_EQ(ring.open(ring.seal("", "b"), "b"), "");
}

TEST(SecretBox, AnotherBindingDoesNotOpen) {
  const KeyRing ring = ring_of({generate_secret_key()});
  const std::string sealed = ring.seal("PoWJFA11inptkbGz", "webhook 1 secretHttp");
  EXPECT_THROW(ring.open(sealed, "webhook 2 secretHttp"), SecretBoxError);
  EXPECT_THROW(ring.open(sealed, "webhook 1 secretHmac"), SecretBoxError);
}

TEST(SecretBox, ATamperedTextDoesNotOpen) {
  const KeyRing ring = ring_of({generate_secret_key()});
  // 12 + 17 + 16 bytes: a multiple of 3, so every base64 character carries bits that count.
  const std::string sealed = ring.seal("PoWJFA11inptkbGz1", "b");
  // Every character of the payload, changed to another base64 character.
  for (size_t i = 4 + 16 + 1; i < sealed.size(); ++i) {
    if (sealed[i] == '=') continue;
    std::string t = sealed;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_THROW(ring.open(t, "b"), SecretBoxError) << "position " << i;
  }
  // Truncated, or cut to less than a nonce and a tag.
  EXPECT_THROW(ring.open(sealed.substr(0, sealed.size() - 4), "b"), SecretBoxError);
  EXPECT_THROW(ring.open(sealed.substr(0, 30), "b"), SecretBoxError);
}

TEST(SecretBox, AnotherKeysIdIsNotAccepted) {
  const KeyRing one = ring_of({generate_secret_key()});
  const KeyRing two = ring_of({generate_secret_key()});
  const std::string sealed = one.seal("secret", "b");
  try {
    two.open(sealed, "b");
    FAIL() << "opened under another key";
  } catch (const SecretBoxError& e) {
    EXPECT_NE(std::string(e.what()).find(one.sealing_key_id()), std::string::npos) << e.what();
  }
  // The id in the text is authenticated too: relabelled for the other key, it still fails.
  std::string relabelled = sealed;
  relabelled.replace(4, 16, two.sealing_key_id());
  EXPECT_THROW(two.open(relabelled, "b"), SecretBoxError);
}

TEST(SecretBox, TheFirstKeySealsEveryKeyOpens) {
  const SecretKey old_key = generate_secret_key();
  const SecretKey new_key = generate_secret_key();
  const std::string by_old = ring_of({old_key}).seal("secret", "b");
  const KeyRing both = ring_of({new_key, old_key});
  EXPECT_EQ(both.sealing_key_id(), new_key.id);
  EXPECT_EQ(both.open(by_old, "b"), "secret");
  EXPECT_EQ(KeyRing::key_id_of(both.seal("secret", "b")), new_key.id);
  EXPECT_TRUE(both.has_key(old_key.id));
  EXPECT_THROW(ring_of({}), SecretBoxError);
  EXPECT_THROW(ring_of({old_key, old_key}), SecretBoxError);
}

TEST(SecretBox, PlaintextIsNotTakenForSealed) {
  EXPECT_FALSE(KeyRing::is_sealed("bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB"));
  EXPECT_FALSE(KeyRing::is_sealed("PoWJFA11inptkbGz"));
  EXPECT_FALSE(KeyRing::is_sealed("hk1:"));
  EXPECT_FALSE(KeyRing::is_sealed("hk1:0123456789abcdef:short"));
  EXPECT_FALSE(KeyRing::is_sealed("hk1:0123456789ABCDEF:" + std::string(40, 'A')));
  EXPECT_TRUE(KeyRing::is_sealed("hk1:0123456789abcdef:" + std::string(40, 'A')));
}

TEST(SecretKeyFile, ParsesOneBase64LineOf32Bytes) {
  const SecretKey key = generate_secret_key();
  const std::string text = format_secret_key(key);
  EXPECT_EQ(text.size(), 45u);  // 44 characters and a newline, as openssl rand -base64 32
  const SecretKey parsed = parse_secret_key("  " + text + "\n\n");
  EXPECT_EQ(parsed.bytes, key.bytes);
  EXPECT_EQ(parsed.id, key.id);
  EXPECT_EQ(parsed.id.size(), 16u);
  // The id is a hash of the key, not a part of it.
  EXPECT_EQ(SecretKey(key.bytes).id, key.id);
  EXPECT_NE(generate_secret_key().id, key.id);
}

TEST(SecretKeyFile, RefusesWhatIsNotAKey) {
  EXPECT_THROW(parse_secret_key(""), SecretBoxError);
  EXPECT_THROW(parse_secret_key("\n"), SecretBoxError);
  EXPECT_THROW(parse_secret_key("not base64 at all!"), SecretBoxError);
  // 31 and 33 bytes.
  EXPECT_THROW(parse_secret_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="), SecretBoxError);
  EXPECT_THROW(parse_secret_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), SecretBoxError);
  // Two keys on two lines are not one key.
  const std::string line = format_secret_key(generate_secret_key());
  EXPECT_THROW(parse_secret_key(line + line), SecretBoxError);
  EXPECT_NO_THROW(parse_secret_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
}

TEST(SecretKeyFile, IsCreatedOnceWithMode0600) {
  const hookd::testing::TempDir dir;
  const std::string path = dir.file("hookd.db.key");
  const SecretKey created = create_secret_key_file(path);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(readable_by_others(path));
  EXPECT_EQ(load_secret_key_file(path).id, created.id);
  // O_EXCL: an existing key is never overwritten.
  EXPECT_THROW(create_secret_key_file(path), SecretBoxError);
  EXPECT_EQ(load_secret_key_file(path).id, created.id);
}

TEST(SecretKeyFile, ErrorsNameThePathNeverTheKey) {
  const hookd::testing::TempDir dir;
  const std::string path = dir.file("bad.key");
  std::ofstream(path) << "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";  // 33 bytes
  try {
    load_secret_key_file(path);
    FAIL() << "loaded a 33-byte key";
  } catch (const SecretBoxError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("AAAAAAAA"), std::string::npos);
  }
  EXPECT_THROW(load_secret_key_file(dir.file("missing.key")), SecretBoxError);
  std::ofstream(dir.file("huge.key")) << std::string(10000, 'A');
  EXPECT_THROW(load_secret_key_file(dir.file("huge.key")), SecretBoxError);
}

}  // namespace
}  // namespace hookd::security
