#include "api/messages.hpp"

#include "api/message_catalog.hpp"

namespace hookd::api {

Message Message::with(std::string_view name, std::string_view value) && {
  arguments_.push_back(Argument{name, std::string(value), nullptr});
  return std::move(*this);
}

Message Message::with(std::string_view name, Message part) && {
  arguments_.push_back(Argument{name, {}, std::make_shared<const Message>(std::move(part))});
  return std::move(*this);
}

std::string Message::render(Language language) const {
  const std::string_view text = kMessageCatalog[key_.index].text.in(language);
  std::string out;
  out.reserve(text.size() + 32);
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find('{', pos);
    const size_t close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) {
      out += text.substr(pos);
      break;
    }
    out += text.substr(pos, open - pos);
    const std::string_view name = text.substr(open + 1, close - open - 1);
    const Argument* argument = nullptr;
    for (const auto& a : arguments_) {
      if (a.name == name) argument = &a;
    }
    if (!argument) {
      out += text.substr(open, close - open + 1);  // the catalog tests keep this from happening
    } else if (argument->part) {
      out += argument->part->render(language);
    } else {
      out += argument->value;
    }
    pos = close + 1;
  }
  return out;
}

}  // namespace hookd::api
