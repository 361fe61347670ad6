#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hookd::api {

// The languages error messages are written in: those of the Bold API. English is the default.
enum class Language : uint8_t { kEn, kAr, kCs, kDe, kEs, kFr, kIt, kNl, kPl };

inline constexpr std::array<Language, 9> kLanguages = {Language::kEn, Language::kAr, Language::kCs,
                                                       Language::kDe, Language::kEs, Language::kFr,
                                                       Language::kIt, Language::kNl, Language::kPl};

// "en", "ar", ...
std::string_view language_tag(Language language);

// The language of a tag such as "de", "DE" or "de-AT" (its primary subtag); nullopt for one
// hookd has no messages in.
std::optional<Language> parse_language(std::string_view tag);

// The language of one request: the `language` query parameter when given (a value hookd does
// not know is English), else the first supported language of Accept-Language by q-value
// (RFC 9110 §12.5.4; ties keep their order, q=0 refuses, "*" is English), else English.
Language choose_language(std::optional<std::string_view> language_parameter,
                         std::string_view accept_language);

}  // namespace hookd::api
