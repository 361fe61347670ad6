#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/language.hpp"

namespace hookd::api {

// An entry of the message catalog (api/message_catalog.hpp), found by its id at compile time:
// message_key("WebhookNotFound").
struct MessageKey {
  uint16_t index;
};

// A client-visible text not yet in a language: a catalog entry and the values of its
// "{name}" placeholders. A value is either data the client sent or hookd counted (a field
// name, an id, a limit: inserted as it is) or another message (rendered in the same language).
class Message {
 public:
  explicit Message(MessageKey key) : key_(key) {}

  // `name` must outlive the message: a literal of the code that builds it.
  Message with(std::string_view name, std::string_view value) &&;
  Message with(std::string_view name, Message part) &&;

  MessageKey key() const { return key_; }
  std::string render(Language language) const;

 private:
  struct Argument {
    std::string_view name;
    std::string value;
    std::shared_ptr<const Message> part;  // set instead of value
  };
  MessageKey key_;
  std::vector<Argument> arguments_;
};

}  // namespace hookd::api
