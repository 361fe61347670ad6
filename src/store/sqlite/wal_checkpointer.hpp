#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace hookd::store::sqlite {

class Connection;

// Copies the WAL back into the database from a thread of its own, so that no commit does it.
// SQLite's own checkpoints run inside the commit that crosses 1,000 WAL pages, with that
// commit's writer lock still held: every other writer (ingestion, recording attempts) waited
// for the whole copy and its fsync. Here a first PASSIVE pass copies the bulk while writers go
// on; then, with the writers' mutex held, a second pass copies what they appended meanwhile.
// Only after such a complete pass does the next writer start the WAL over from its beginning,
// so the WAL stays near the size at which a checkpoint is asked for, however fast it is written.
class WalCheckpointer {
 public:
  // Checkpoints once the WAL holds `pages` pages; its own connection opens `path`. `writer`
  // is the mutex the store's writers hold for the length of a write transaction.
  WalCheckpointer(std::string path, bool sync_commits, std::mutex& writer, int pages = 1000);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Called after each commit with the pages the WAL now holds (Connection::on_wal_commit).
  void written(int pages);

 private:
  void run();

  const std::string path_;
  const bool sync_commits_;
  std::mutex& writer_;
  const int pages_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hookd::store::sqlite
