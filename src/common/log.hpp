#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

namespace hookd::log {

// One field of a structured log line. Secrets and tokens must never be passed here.
struct Field {
  using Value = std::variant<std::string_view, int64_t, uint64_t, double, bool>;
  std::string_view key;
  Value value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, int v) : key(k), value(int64_t{v}) {}
  Field(std::string_view k, long v) : key(k), value(int64_t{v}) {}
  Field(std::string_view k, long long v) : key(k), value(int64_t{v}) {}
  Field(std::string_view k, unsigned v) : key(k), value(uint64_t{v}) {}
  Field(std::string_view k, unsigned long v) : key(k), value(uint64_t{v}) {}
  Field(std::string_view k, unsigned long long v) : key(k), value(uint64_t{v}) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
};

enum class Level { kDebug, kInfo, kWarn, kError };

// "debug", "info", "warn", "error"; nothing for any other text.
std::optional<Level> parse_level(std::string_view name);
std::string_view level_name(Level level);

// Writes one JSON object per line to stderr: {"time":...,"level":...,"msg":...,fields...}.
void write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});
void set_min_level(Level level);
// True when a line of this level would be written; to skip building one that would not.
bool enabled(Level level);

inline void debug(std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::kDebug, msg, f);
}
inline void info(std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::kInfo, msg, f);
}
inline void warn(std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::kWarn, msg, f);
}
inline void error(std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::kError, msg, f);
}

}  // namespace hookd::log
