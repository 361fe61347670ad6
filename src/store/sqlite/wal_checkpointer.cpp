#include "store/sqlite/wal_checkpointer.hpp"

#include "common/log.hpp"
#include "store/sqlite/connection.hpp"
#include "store/store.hpp"

namespace hookd::store::sqlite {

WalCheckpointer::WalCheckpointer(std::string path, bool sync_commits, std::mutex& writer, int pages)
    : path_(std::move(path)), sync_commits_(sync_commits), writer_(writer), pages_(pages) {
  thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void WalCheckpointer::written(int pages) {
  if (pages < pages_) return;
  {
    std::lock_guard lock(mutex_);
    if (due_) return;
    due_ = true;
  }
  wake_.notify_one();
}

void WalCheckpointer::run() {
  std::unique_ptr<Connection> c;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return due_ || stopping_; });
      if (stopping_) return;
      due_ = false;
    }
    try {
      if (!c) c = std::make_unique<Connection>(path_, sync_commits_, Connection::kNoCheckpoints);
      c->checkpoint_passive();
      std::lock_guard no_writer(writer_);
      c->checkpoint_passive();
    } catch (const StoreError& e) {
      // The WAL keeps growing until the next checkpoint succeeds; nothing is lost.
      log::warn("WAL checkpoint failed", {{"error", e.what()}});
      c.reset();
    }
  }
}

}  // namespace hookd::store::sqlite
