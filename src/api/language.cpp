#include "api/language.hpp"

namespace hookd::api {
namespace {

constexpr std::array<std::string_view, kLanguages.size()> kTags = {"en", "ar", "cs", "de", "es",
                                                                   "fr", "it", "nl", "pl"};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A qvalue (RFC 9110 §12.4.2) in thousandths: "1", "0.8", "0.125"; nullopt when malformed.
std::optional<int> parse_qvalue(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  int whole = text[0] - '0';
  int thousandths = 0;
  if (text.size() > 1) {
    if (text[1] != '.') return std::nullopt;
    int scale = 100;
    for (char c : text.substr(2)) {
      if (c < '0' || c > '9') return std::nullopt;
      thousandths += (c - '0') * scale;
      scale /= 10;
    }
  }
  const int q = whole * 1000 + thousandths;
  return q <= 1000 ? std::optional<int>(q) : std::nullopt;
}

// The q of one language-range's parameters (";q=0.5"); 1000 when absent, nullopt when malformed.
std::optional<int> weight_of(std::string_view params) {
  int q = 1000;
  while (!params.empty()) {
    const size_t semicolon = params.find(';');
    const std::string_view param = trim(params.substr(0, semicolon));
    params =
        semicolon == std::string_view::npos ? std::string_view() : params.substr(semicolon + 1);
    if (param.size() >= 2 && lower(param[0]) == 'q' && param[1] == '=') {
      const auto parsed = parse_qvalue(trim(param.substr(2)));
      if (!parsed) return std::nullopt;
      q = *parsed;
    }
  }
  return q;
}

}  // namespace

std::string_view language_tag(Language language) { return kTags[static_cast<size_t>(language)]; }

std::optional<Language> parse_language(std::string_view tag) {
  const std::string_view primary = tag.substr(0, tag.find('-'));
  if (primary.size() != 2) return std::nullopt;
  const char a = lower(primary[0]);
  const char b = lower(primary[1]);
  for (size_t i = 0; i < kTags.size(); ++i) {
    if (kTags[i][0] == a && kTags[i][1] == b) return kLanguages[i];
  }
  return std::nullopt;
}

Language choose_language(std::optional<std::string_view> language_parameter,
                         std::string_view accept_language) {
  if (language_parameter) return parse_language(*language_parameter).value_or(Language::kEn);
  // One pass: the highest q wins, the first of equal ones.
  std::optional<Language> best;
  int best_q = 0;
  while (!accept_language.empty()) {
    const size_t comma = accept_language.find(',');
    const std::string_view item = accept_language.substr(0, comma);
    accept_language =
        comma == std::string_view::npos ? std::string_view() : accept_language.substr(comma + 1);
    const size_t semicolon = item.find(';');
    const std::string_view range = trim(item.substr(0, semicolon));
    const auto q = weight_of(semicolon == std::string_view::npos ? std::string_view()
                                                                 : item.substr(semicolon + 1));
    if (!q || *q <= best_q) continue;
    const auto language =
        range == "*" ? std::optional<Language>(Language::kEn) : parse_language(range);
    if (!language) continue;
    best = language;
    best_q = *q;
  }
  return best.value_or(Language::kEn);
}

}  // namespace hookd::api
