#pragma once

#include <memory>

#include "common/background_loop.hpp"

namespace hookd::store::sqlite {

class Connection;

// What a commit that left the WAL `frames` long asks for.
enum class WalAction {
  kNone,
  kWakeCheckpointer,  // copying is due, on the checkpointer's thread
  kCatchUp,           // the commit copies the rest itself, under the write lock
};
WalAction wal_action_after_commit(int frames);

// Copies the WAL into the database on a thread of its own. SQLite's automatic checkpoint runs
// inside the commit that takes the WAL past 1,000 frames, so the copying and its fsyncs are
// done while that commit holds the write lock, and every ingestion and record behind it
// waits. Here that commit only wakes this thread, which copies with a passive checkpoint on
// its own connection while the writers go on.
//
// Under a steady stream of commits the background copy rarely reaches the WAL's end, and a
// WAL is only started over from its beginning once everything in it was copied. So a commit
// that finds the WAL past kCatchUpFrames copies the rest itself, as SQLite's own checkpoint
// would: little is left by then, and the WAL stays within about kCatchUpFrames frames.
class WalCheckpointer {
 public:
  static constexpr int kWakeFrames = 1'000;
  static constexpr int kCatchUpFrames = 4'000;

  // `own` is the checkpointer's connection; `run` false leaves the copying to the catch-up
  // of commits alone (for tests of that bound).
  explicit WalCheckpointer(std::unique_ptr<Connection> own, bool run = true);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Makes `c`'s commits wake this checkpointer (or catch up) instead of checkpointing.
  void watch(Connection& c);

 private:
  std::unique_ptr<Connection> conn_;
  // Last: its thread uses the connection.
  BackgroundLoop loop_;
};

}  // namespace hookd::store::sqlite
