#include "store/sqlite/wal_checkpointer.hpp"

#include "common/log.hpp"
#include "store/sqlite/connection.hpp"
#include "store/store.hpp"

namespace hookd::store::sqlite {

WalAction wal_action_after_commit(int frames) {
  if (frames >= WalCheckpointer::kCatchUpFrames) return WalAction::kCatchUp;
  if (frames >= WalCheckpointer::kWakeFrames) return WalAction::kWakeCheckpointer;
  return WalAction::kNone;
}

WalCheckpointer::WalCheckpointer(std::unique_ptr<Connection> own, bool run)
    : conn_(std::move(own)) {
  if (!run) return;
  loop_.start(
      [this]() -> std::optional<BackgroundLoop::TimePoint> {
        if (loop_.stopping()) return std::nullopt;
        try {
          conn_->checkpoint_passive();
        } catch (const StoreError& e) {
          // The next commit past the mark wakes it again; a commit past kCatchUpFrames copies.
          log::warn("background WAL checkpoint failed", {{"error", e.what()}});
        }
        return BackgroundLoop::TimePoint::max();
      },
      BackgroundLoop::TimePoint::max());
}

WalCheckpointer::~WalCheckpointer() { loop_.stop(); }

void WalCheckpointer::watch(Connection& c) {
  c.observe_wal([this](Connection& committed, int frames) {
    switch (wal_action_after_commit(frames)) {
      case WalAction::kNone:
        break;
      case WalAction::kWakeCheckpointer:
        loop_.wake();
        break;
      case WalAction::kCatchUp:
        // As SQLite's automatic checkpoint does; a failure leaves it to the next commit.
        try {
          committed.checkpoint_passive();
        } catch (const StoreError& e) {
          log::warn("WAL checkpoint after a commit failed", {{"error", e.what()}});
        }
        break;
    }
  });
}

}  // namespace hookd::store::sqlite
