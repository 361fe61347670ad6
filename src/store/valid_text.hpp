#pragma once

#include <string>
#include <string_view>

namespace hookd::store {

// What both backends keep of arbitrary bytes (what a receiver answered) in a text column:
// valid UTF-8 without NUL, every other byte replaced by U+FFFD. PostgreSQL's text can hold
// nothing else, and the delivery log shows it in JSON, which must be UTF-8 too.
bool is_valid_text(std::string_view s);
std::string to_valid_text(std::string_view s);

}  // namespace hookd::store
