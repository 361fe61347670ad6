#include "api/strict_json.hpp"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value_stack.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "api/message_catalog.hpp"

namespace hookd::api::strict_json {
namespace {

using boost::json::error_code;

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
constexpr size_t kMaxKeyInProblem = 64;
// Up to this many members, a repeated key is found by comparing each pair; above it, by sorting,
// so that an object of a million keys costs n log n, not n squared.
constexpr size_t kPairwiseKeys = 16;

// A prefix of `s` of at most `max` bytes that does not cut a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

// basic_parser's handler: boost's value_stack builds the value (when asked), and every object's
// keys are kept until its end, when a repeated one fails the parse.
class StrictHandler {
 public:
  static constexpr size_t max_object_size = boost::json::object::max_size();
  static constexpr size_t max_array_size = boost::json::array::max_size();
  static constexpr size_t max_key_size = boost::json::string::max_size();
  static constexpr size_t max_string_size = boost::json::string::max_size();

  StrictHandler(bool build, std::string_view unbuilt_key, unsigned char* temp, size_t temp_size)
      : build_(build),
        unbuilt_key_(unbuilt_key),
        values_(boost::json::storage_ptr(), temp, temp_size) {
    values_.reset();
  }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }

  bool on_object_begin(error_code&) {
    frames_.push_back(Frame{keys_.size(), key_bytes_.size()});
    begin_container();
    return true;
  }

  bool on_object_end(size_t n, error_code& ec) {
    const Frame frame = frames_.back();
    frames_.pop_back();
    if (auto repeated = repeated_key(frame)) {
      problem_ = Message(message_key("json.repeated_key"))
                     .with("key", utf8_prefix(*repeated, kMaxKeyInProblem));
      return fail(ec);
    }
    keys_.resize(frame.first_key);
    key_bytes_.resize(frame.first_key_byte);
    if (building()) {
      values_.push_object(n);
    } else if (end_container()) {
      values_.push_object(0);
    }
    return true;
  }

  bool on_array_begin(error_code&) {
    begin_container();
    return true;
  }
  bool on_array_end(size_t n, error_code&) {
    if (building()) {
      values_.push_array(n);
    } else if (end_container()) {
      values_.push_array(0);
    }
    return true;
  }

  bool on_key_part(std::string_view s, size_t, error_code&) {
    key_bytes_.append(s);
    if (building()) values_.push_chars(s);
    return true;
  }
  bool on_key(std::string_view s, size_t n, error_code&) {
    key_bytes_.append(s);
    keys_.push_back(Key{key_bytes_.size() - n, n});
    if (building()) {
      values_.push_key(s);
      next_unbuilt_ = !unbuilt_key_.empty() && key_at(keys_.size() - 1) == unbuilt_key_;
    }
    return true;
  }

  bool on_string_part(std::string_view s, size_t, error_code&) {
    if (building()) values_.push_chars(s);
    return true;
  }
  bool on_string(std::string_view s, size_t, error_code&) {
    next_unbuilt_ = false;
    if (building()) values_.push_string(s);
    return true;
  }

  bool on_number_part(std::string_view, error_code&) { return true; }
  bool on_int64(int64_t i, std::string_view, error_code&) {
    next_unbuilt_ = false;
    if (building()) values_.push_int64(i);
    return true;
  }
  bool on_uint64(uint64_t u, std::string_view, error_code&) {
    next_unbuilt_ = false;
    if (building()) values_.push_uint64(u);
    return true;
  }
  bool on_double(double d, std::string_view, error_code& ec) {
    // Boost reads 1e400 as infinity, which no JSON text can carry on to a receiver.
    if (!std::isfinite(d)) {
      problem_ = Message(message_key("json.not_finite"));
      return fail(ec);
    }
    next_unbuilt_ = false;
    if (building()) values_.push_double(d);
    return true;
  }
  bool on_bool(bool b, error_code&) {
    next_unbuilt_ = false;
    if (building()) values_.push_bool(b);
    return true;
  }
  bool on_null(error_code&) {
    next_unbuilt_ = false;
    if (building()) values_.push_null();
    return true;
  }
  bool on_comment_part(std::string_view, error_code&) { return true; }
  bool on_comment(std::string_view, error_code&) { return true; }

  const std::optional<Message>& problem() const { return problem_; }
  boost::json::value release() { return values_.release(); }

 private:
  struct Frame {
    size_t first_key;
    size_t first_key_byte;
  };
  struct Key {
    size_t offset;
    size_t size;
  };

  bool building() const { return build_ && unbuilt_depth_ == 0; }

  // An object or array opens: within the value of an unbuilt key, nothing is built.
  void begin_container() {
    if (unbuilt_depth_ > 0 || next_unbuilt_) ++unbuilt_depth_;
    next_unbuilt_ = false;
  }
  // Whether the container that closes is the whole value of an unbuilt key, which then stands
  // as an empty one of its kind.
  bool end_container() { return unbuilt_depth_ > 0 && --unbuilt_depth_ == 0 && build_; }

  static bool fail(error_code& ec) {
    ec = boost::json::error::syntax;
    return false;
  }

  std::string_view key_at(size_t i) const {
    return std::string_view(key_bytes_).substr(keys_[i].offset, keys_[i].size);
  }

  std::optional<std::string_view> repeated_key(const Frame& frame) {
    const size_t count = keys_.size() - frame.first_key;
    if (count <= kPairwiseKeys) {
      for (size_t i = frame.first_key; i < keys_.size(); ++i) {
        for (size_t j = i + 1; j < keys_.size(); ++j) {
          if (key_at(i) == key_at(j)) return key_at(i);
        }
      }
      return std::nullopt;
    }
    sorted_.clear();
    for (size_t i = frame.first_key; i < keys_.size(); ++i) sorted_.push_back(key_at(i));
    std::sort(sorted_.begin(), sorted_.end());
    auto it = std::adjacent_find(sorted_.begin(), sorted_.end());
    if (it == sorted_.end()) return std::nullopt;
    return *it;
  }

  bool build_;
  std::string_view unbuilt_key_;
  bool next_unbuilt_ = false;  // the key just read is unbuilt_key_
  size_t unbuilt_depth_ = 0;   // containers open inside an unbuilt value
  boost::json::value_stack values_;
  std::string key_bytes_;  // the keys of every object still open, one after another
  std::vector<Key> keys_;
  std::vector<Frame> frames_;
  std::vector<std::string_view> sorted_;
  std::optional<Message> problem_;
};

std::optional<boost::json::value> run(std::string_view text, bool build,
                                      std::string_view unbuilt_key,
                                      std::optional<Message>& problem) {
  const std::string_view doc = text.substr(0, kByteOrderMark.size()) == kByteOrderMark
                                   ? text.substr(kByteOrderMark.size())
                                   : text;
  boost::json::parse_options options;
  options.max_depth = kMaxDepth;
  unsigned char temp[BOOST_JSON_STACK_BUFFER_SIZE];
  boost::json::basic_parser<StrictHandler> parser(options, build, unbuilt_key, temp, sizeof temp);
  error_code ec;
  const size_t used = parser.write_some(false, doc.data(), doc.size(), ec);
  if (!ec && used < doc.size()) ec = boost::json::error::extra_data;
  if (ec) {
    if (parser.handler().problem()) {
      problem = parser.handler().problem();
    } else if (ec == boost::json::error::too_deep) {
      problem = Message(message_key("json.too_deep")).with("depth", std::to_string(kMaxDepth));
    } else {
      // Boost's own words for the syntax error, in English: data of the message.
      problem = Message(message_key("json.invalid")).with("reason", ec.message());
    }
    return std::nullopt;
  }
  if (!build) return boost::json::value();
  return parser.handler().release();
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_space(std::string_view t, size_t i) {
  while (i < t.size() && is_space(t[i])) ++i;
  return i;
}

// `i` at an opening quote; the index after the closing one. Short strings (keys) are stepped
// through; in long ones the next quote is found with memchr, and it closes the string unless an
// odd run of backslashes escapes it.
size_t skip_string(std::string_view t, size_t i) {
  constexpr size_t kStepped = 32;
  const size_t stepped_end = std::min(t.size(), i + 1 + kStepped);
  for (++i; i < stepped_end; ++i) {
    if (t[i] == '\\') {
      ++i;
    } else if (t[i] == '"') {
      return i + 1;
    }
  }
  while (i < t.size()) {
    const void* quote = std::memchr(t.data() + i, '"', t.size() - i);
    if (!quote) return t.size();
    const size_t q = static_cast<const char*>(quote) - t.data();
    size_t backslashes = 0;
    while (t[q - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return q + 1;
    i = q + 1;
  }
  return t.size();
}

// `i` at the first byte of a value; the index after its last.
size_t skip_value(std::string_view t, size_t i) {
  if (i >= t.size()) return i;
  if (t[i] == '"') return skip_string(t, i);
  if (t[i] == '{' || t[i] == '[') {
    int depth = 0;
    while (i < t.size()) {
      const char c = t[i];
      if (c == '"') {
        i = skip_string(t, i);
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return i;
  }
  while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && !is_space(t[i])) ++i;
  return i;
}

// Whether the quoted key `quoted` (quotes included) spells `key`; escapes are rare in keys, so
// only those are decoded.
bool key_equals(std::string_view quoted, std::string_view key) {
  const std::string_view raw = quoted.substr(1, quoted.size() - 2);
  if (raw.find('\\') == std::string_view::npos) return raw == key;
  boost::system::error_code ec;
  const boost::json::value decoded = boost::json::parse(quoted, ec);
  return !ec && decoded.is_string() && std::string_view(decoded.get_string()) == key;
}

constexpr size_t kNone = std::string_view::npos;

enum class Stop { kAtValueStart, kAfterValue, kAfterObject };

// Where the value of member `key` begins and ends (kNone when there is none), and, when the
// scan goes on to it, the index after the object's '}'.
struct MemberSpan {
  size_t begin = kNone;
  size_t end = kNone;
  size_t object_end = kNone;
};

// `i` at the '{' of an object; one pass, each key compared until `key` is found.
MemberSpan scan_object(std::string_view t, size_t i, std::string_view key, Stop stop) {
  MemberSpan span;
  i = skip_space(t, i + 1);
  while (i < t.size() && t[i] == '"') {
    const size_t key_end = skip_string(t, i);
    const bool wanted = span.begin == kNone && key_equals(t.substr(i, key_end - i), key);
    i = skip_space(t, key_end);
    if (i >= t.size() || t[i] != ':') return span;
    const size_t value_begin = skip_space(t, i + 1);
    if (wanted) {
      span.begin = value_begin;
      if (stop == Stop::kAtValueStart) return span;
    }
    const size_t value_end = skip_value(t, value_begin);
    if (wanted) {
      span.end = value_end;
      if (stop == Stop::kAfterValue) return span;
    }
    i = skip_space(t, value_end);
    if (i < t.size() && t[i] == ',') i = skip_space(t, i + 1);
  }
  if (i < t.size() && t[i] == '}') span.object_end = i + 1;
  return span;
}

}  // namespace

std::optional<boost::json::value> parse(std::string_view text, std::optional<Message>& problem,
                                        std::string_view unbuilt_key) {
  return run(text, true, unbuilt_key, problem);
}

std::string problem(std::string_view text) {
  std::optional<Message> out;
  run(text, false, {}, out);
  return out ? out->render(Language::kEn) : std::string();
}

std::string_view document(std::string_view text) {
  if (text.substr(0, kByteOrderMark.size()) == kByteOrderMark) {
    text.remove_prefix(kByteOrderMark.size());
  }
  size_t begin = skip_space(text, 0);
  size_t end = text.size();
  while (end > begin && is_space(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

std::optional<size_t> member_offset(std::string_view t, std::string_view key) {
  const size_t i = skip_space(t, 0);
  if (i >= t.size() || t[i] != '{') return std::nullopt;
  const MemberSpan span = scan_object(t, i, key, Stop::kAtValueStart);
  if (span.begin == kNone) return std::nullopt;
  return span.begin;
}

std::optional<std::string_view> member_text(std::string_view t, std::string_view key) {
  const size_t i = skip_space(t, 0);
  if (i >= t.size() || t[i] != '{') return std::nullopt;
  const MemberSpan span = scan_object(t, i, key, Stop::kAfterValue);
  if (span.end == kNone) return std::nullopt;
  return t.substr(span.begin, span.end - span.begin);
}

std::vector<ElementMember> element_members(std::string_view t, std::string_view key) {
  std::vector<ElementMember> out;
  size_t i = skip_space(t, 0);
  if (i >= t.size() || t[i] != '[') return out;
  i = skip_space(t, i + 1);
  while (i < t.size() && t[i] != ']') {
    ElementMember element;
    size_t end = t.size();
    if (t[i] == '{') {
      const MemberSpan span = scan_object(t, i, key, Stop::kAfterObject);
      if (span.object_end != kNone) end = span.object_end;
      if (span.end != kNone) element.member = t.substr(span.begin, span.end - span.begin);
    } else {
      end = skip_value(t, i);
    }
    element.text = t.substr(i, end - i);
    out.push_back(element);
    i = skip_space(t, end);
    if (i < t.size() && t[i] == ',') i = skip_space(t, i + 1);
  }
  return out;
}

}  // namespace hookd::api::strict_json
