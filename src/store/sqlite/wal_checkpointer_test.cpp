#include "store/sqlite/wal_checkpointer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "store/sqlite/connection.hpp"
#include "support/temp_dir.hpp"

namespace hookd::store::sqlite {
namespace {

using namespace std::chrono_literals;

// One page of the default 4 KiB and its frame header: the size of one WAL frame.
constexpr uintmax_t kFrameBytes = 4096 + 24;

class WalCheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    writer_ = std::make_unique<Connection>(path_, true);
    writer_->exec("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  }

  // Commits of 40 fresh rows of a page each, at least `frames` frames in all (a commit also
  // writes the b-tree pages above the rows: about 43 frames each).
  void commit_frames(Connection& c, int frames) {
    for (int written = 0; written < frames; written += 40) {
      WriteTransaction tx(c, writer_mutex_, Durability::kMayBeLost);
      c.exec(
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)"
          " INSERT INTO filler (body) SELECT randomblob(4000) FROM n");
      tx.commit();
    }
  }

  uintmax_t size_of(const std::string& file) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    return ec ? 0 : size;
  }

  hookd::testing::TempDir dir_;
  std::string path_ = dir_.file("wal.db");
  std::mutex writer_mutex_;
  std::unique_ptr<Connection> writer_;
};

TEST(WalActionAfterCommit, WakesPastTheMarkAndCatchesUpPastTheBound) {
  EXPECT_EQ(wal_action_after_commit(0), WalAction::kNone);
  EXPECT_EQ(wal_action_after_commit(WalCheckpointer::kWakeFrames - 1), WalAction::kNone);
  EXPECT_EQ(wal_action_after_commit(WalCheckpointer::kWakeFrames), WalAction::kWakeCheckpointer);
  EXPECT_EQ(wal_action_after_commit(WalCheckpointer::kCatchUpFrames - 1),
            WalAction::kWakeCheckpointer);
  EXPECT_EQ(wal_action_after_commit(WalCheckpointer::kCatchUpFrames), WalAction::kCatchUp);
}

// SQLite's own checkpoint would copy inside the commit that crosses 1,000 frames; here the
// commits go on untouched and the checkpointer's thread copies: the database file fills
// while no commit runs.
TEST_F(WalCheckpointerTest, CopiesTheWalIntoTheDatabaseOnItsOwnThread) {
  WalCheckpointer checkpointer(std::make_unique<Connection>(path_, true));
  checkpointer.watch(*writer_);
  const uintmax_t before = size_of(path_);
  commit_frames(*writer_, WalCheckpointer::kWakeFrames + 200);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (size_of(path_) < before + 1'000 * 4096 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);  // polling the file; nothing here waits for a fixed time
  }
  EXPECT_GE(size_of(path_), before + 1'000 * 4096) << "the WAL was not copied into the database";
  EXPECT_LT(size_of(path_ + "-wal"), (WalCheckpointer::kCatchUpFrames + 100) * kFrameBytes);
}

// With no background copy at all, commits past kCatchUpFrames copy the WAL themselves, so it
// starts over and stays within its bound however much is written.
TEST_F(WalCheckpointerTest, CommitsPastTheBoundCatchUpSoTheWalStaysBounded) {
  WalCheckpointer checkpointer(std::make_unique<Connection>(path_, true), /*run=*/false);
  checkpointer.watch(*writer_);
  commit_frames(*writer_, 3 * WalCheckpointer::kCatchUpFrames);
  EXPECT_LT(size_of(path_ + "-wal"), (WalCheckpointer::kCatchUpFrames + 100) * kFrameBytes);
  EXPECT_GE(size_of(path_), uintmax_t{2} * WalCheckpointer::kCatchUpFrames * 4096);
}

// Without the catch-up a watched connection never checkpoints: the bound above is the
// checkpointer's, not SQLite's automatic one.
TEST_F(WalCheckpointerTest, AWatchedConnectionDoesNotCheckpointByItself) {
  WalCheckpointer checkpointer(std::make_unique<Connection>(path_, true), /*run=*/false);
  checkpointer.watch(*writer_);
  commit_frames(*writer_, WalCheckpointer::kCatchUpFrames / 2);
  EXPECT_GE(size_of(path_ + "-wal"), WalCheckpointer::kCatchUpFrames / 2 * kFrameBytes);
  EXPECT_LT(size_of(path_), uintmax_t{1'000} * 4096);
}

}  // namespace
}  // namespace hookd::store::sqlite
