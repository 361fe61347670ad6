#pragma once

#include <string>
#include <string_view>

namespace hookd::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Moving hands over ownership; the moved-from object no longer removes anything.
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;

  const std::string& path() const { return path_; }
  // The path of `name` inside the directory; nothing is created.
  std::string file(std::string_view name) const;

 private:
  void remove() noexcept;

  std::string path_;
};

}  // namespace hookd::testing
