#include "api/message_catalog.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace hookd::api {
namespace {

// The "{name}" placeholders of a text, sorted.
std::multiset<std::string> placeholders(std::string_view text) {
  std::multiset<std::string> out;
  for (size_t open = text.find('{'); open != std::string_view::npos;
       open = text.find('{', open + 1)) {
    const size_t close = text.find('}', open);
    if (close == std::string_view::npos) break;
    out.emplace(text.substr(open + 1, close - open - 1));
  }
  return out;
}

TEST(MessageCatalog, EveryMessageIsWrittenInEveryLanguage) {
  for (const auto& entry : kMessageCatalog) {
    for (Language language : kLanguages) {
      EXPECT_FALSE(entry.text.in(language).empty())
          << entry.id << " has no " << language_tag(language) << " text";
    }
  }
}

TEST(MessageCatalog, EveryTranslationHasThePlaceholdersOfTheEnglishText) {
  for (const auto& entry : kMessageCatalog) {
    const auto english = placeholders(entry.text.en);
    for (Language language : kLanguages) {
      EXPECT_EQ(placeholders(entry.text.in(language)), english)
          << entry.id << " in " << language_tag(language) << ": " << entry.text.in(language);
    }
  }
}

TEST(MessageCatalog, IdsAreUniqueAndTranslationsDifferFromEnglishWhereTheyCan) {
  std::set<std::string_view> ids;
  for (const auto& entry : kMessageCatalog) {
    EXPECT_TRUE(ids.insert(entry.id).second) << entry.id << " is in the catalog twice";
    // A text left in English by mistake; a message made only of placeholders and symbols is
    // the same everywhere.
    if (entry.id == "events.at") continue;
    for (Language language : kLanguages) {
      if (language == Language::kEn) continue;
      EXPECT_NE(entry.text.in(language), entry.text.en)
          << entry.id << " in " << language_tag(language) << " is the English text";
    }
  }
}

TEST(MessageCatalog, KeysNameTheirEntries) {
  constexpr MessageKey key = message_key("WebhookNotFound");
  EXPECT_EQ(kMessageCatalog[key.index].id, "WebhookNotFound");
  EXPECT_EQ(Message(key).render(Language::kDe), "Webhook nicht gefunden");
}

TEST(Message, InsertsDataAsItIsAndRendersPartsInTheSameLanguage) {
  const Message detail = Message(message_key("body.required")).with("field", "webhookUrl");
  const Message error = Message(message_key("InvalidRequestBody")).with("detail", detail);
  EXPECT_EQ(error.render(Language::kEn), "Invalid request body: webhookUrl is required");
  EXPECT_EQ(error.render(Language::kFr),
            "Corps de requête non valide : webhookUrl est obligatoire");
  // A value that looks like a placeholder is data, not a template.
  EXPECT_EQ(Message(message_key("UnsupportedTopic")).with("topic", "{topic}").render(Language::kDe),
            "Nicht unterstütztes Thema: {topic}");
}

}  // namespace
}  // namespace hookd::api
