#pragma once

#include <chrono>
#include <cstddef>

namespace hookd::testing {

// A SQLite VFS that simulates a power cut, after SQLite's own crash tests (src/test6.c). It
// wraps the default unix VFS and keeps every write to a database, WAL or journal file in
// memory until an xSync of that file passes it on (reads see it meanwhile, from every
// connection, as they would see the page cache). cut() throws away what no xSync reached and
// fails every later write, sync and delete, so that what is on disk is what survived the cut.
// While one lives it is this process's default VFS; destroying it makes unix the default again.
// One at a time.
class PowerCutVfs {
 public:
  PowerCutVfs();
  ~PowerCutVfs();
  PowerCutVfs(const PowerCutVfs&) = delete;
  PowerCutVfs& operator=(const PowerCutVfs&) = delete;

  void cut();
  // Cuts at the `n`th write from now (that write is lost too): inside a commit or a
  // checkpoint, between its writes and their sync, where a cut from outside rarely lands.
  void cut_at_write(size_t n);
  // True once the cut happened; waits up to `timeout` for it.
  bool wait_for_cut(std::chrono::milliseconds timeout) const;

  // xSync calls that reached a file, and writes thrown away by cut().
  size_t syncs() const;
  size_t discarded_writes() const;
};

}  // namespace hookd::testing
