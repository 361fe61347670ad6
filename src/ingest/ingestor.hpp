#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "common/background_loop.hpp"
#include "store/event_ingest.hpp"

namespace hookd::ingest {

// Commits ingestion requests in groups: requests that arrive while a commit is running wait
// for the next one and share its transaction, so many concurrent producers cost one fsync.
// Every request is answered only after its commit. A request whose deliveries exceed one
// commit's bound is committed in parts (Store::ingest), and answered after its last part;
// commits of the requests that arrive meanwhile alternate with its parts, so another
// organization's events wait for one bounded part, not for the whole request.
class Ingestor {
 public:
  using Done = std::function<void(const store::IngestOutcome*, const char* error)>;

  // `after_commit` runs on the ingestor's thread after each commit that stored events. A
  // `room` (this process's dispatcher) is handed the new deliveries it has room for, and told
  // of those left for a claim (store::HandOffRoom).
  Ingestor(store::EventIngest& ingest, const Clock& clock, std::function<void()> after_commit,
           store::HandOffRoom* room = nullptr, size_t max_requests_per_commit = 256,
           size_t max_queued_requests = 10'000,
           size_t max_deliveries_per_commit = store::kMaxDeliveriesPerCommit);
  ~Ingestor();
  Ingestor(const Ingestor&) = delete;
  Ingestor& operator=(const Ingestor&) = delete;

  // `done` gets the outcome, or an error text when the store failed or the queue is full
  // (then nothing was stored). Called on the ingestor's thread, or at once when refused.
  void submit(store::IngestRequest request, Done done);

  // Commits what is queued, then stops the thread. Later submissions are refused.
  void stop();

 private:
  struct Pending {
    store::IngestRequest request;
    Done done;
    store::IngestOutcome outcome;  // what the request's earlier parts stored
  };
  // One commit, of new requests or of the rest of large ones; nullopt once stopped with
  // nothing left to commit.
  std::optional<BackgroundLoop::TimePoint> turn();

  store::EventIngest& ingest_;
  const Clock& clock_;
  std::function<void()> after_commit_;
  store::HandOffRoom* const room_;
  const size_t max_batch_;
  const size_t max_queue_;
  const size_t max_deliveries_;
  std::mutex mutex_;
  std::deque<Pending> queue_;
  // The loop's thread alone touches these: requests with parts still to commit, and whether
  // the last commit was of new requests.
  std::vector<Pending> unfinished_;
  bool last_took_new_ = false;
  // Last: its thread uses everything above.
  BackgroundLoop loop_;
};

}  // namespace hookd::ingest
