#pragma once

#include <span>

namespace hookd::store::sqlite {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Every schema change, in order. Append only: an applied migration is never edited.
std::span<const Migration> migrations();

}  // namespace hookd::store::sqlite
