#include "api/language.hpp"

#include <gtest/gtest.h>

namespace hookd::api {
namespace {

TEST(Language, TheParameterNamesOneOfTheNineLanguages) {
  EXPECT_EQ(parse_language("de"), Language::kDe);
  EXPECT_EQ(parse_language("AR"), Language::kAr);
  EXPECT_EQ(parse_language("pt"), std::nullopt);
  EXPECT_EQ(parse_language(""), std::nullopt);
  EXPECT_EQ(parse_language("deu"), std::nullopt);
  for (Language language : kLanguages) {
    EXPECT_EQ(parse_language(language_tag(language)), language);
  }
}

TEST(Language, TheParameterWinsOverAcceptLanguage) {
  EXPECT_EQ(choose_language("fr", "de"), Language::kFr);
  // An unknown value is English, not the header's choice and not an error.
  EXPECT_EQ(choose_language("xx", "de"), Language::kEn);
  EXPECT_EQ(choose_language("", "de"), Language::kEn);
  EXPECT_EQ(choose_language(std::nullopt, "de"), Language::kDe);
}

TEST(Language, AcceptLanguageIsReadByQValue) {
  EXPECT_EQ(choose_language(std::nullopt, ""), Language::kEn);
  EXPECT_EQ(choose_language(std::nullopt, "pl-PL"), Language::kPl);
  EXPECT_EQ(choose_language(std::nullopt, "fr;q=0.5, nl;q=0.9, de;q=0.7"), Language::kNl);
  // Unsupported languages are passed over; equal q keeps the header's order.
  EXPECT_EQ(choose_language(std::nullopt, "pt-BR, ja;q=0.9, it;q=0.8, es;q=0.8"), Language::kIt);
  EXPECT_EQ(choose_language(std::nullopt, "pt, ja"), Language::kEn);
  // q=0 refuses a language; a malformed q drops that range; "*" is English.
  EXPECT_EQ(choose_language(std::nullopt, "de;q=0, cs;q=0.1"), Language::kCs);
  EXPECT_EQ(choose_language(std::nullopt, "de;q=high, es;q=0.2"), Language::kEs);
  EXPECT_EQ(choose_language(std::nullopt, "de;q=1.5, es;q=0.2"), Language::kEs);
  EXPECT_EQ(choose_language(std::nullopt, "*;q=0.9, de;q=0.5"), Language::kEn);
  EXPECT_EQ(choose_language(std::nullopt, " fr-CA ; q=0.3 ,,"), Language::kFr);
  EXPECT_EQ(choose_language(std::nullopt, "de; Q=0.500"), Language::kDe);
}

}  // namespace
}  // namespace hookd::api
