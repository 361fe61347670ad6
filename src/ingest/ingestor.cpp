#include "ingest/ingestor.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "store/delivery_queue.hpp"

namespace hookd::ingest {
namespace {

// The room as one commit sees it: slots are taken and given back at once, and the hand-off is
// kept until the commit's requests are answered, so that the answers do not wait for the
// dispatcher's thread to take up the new work.
class AnswersFirst final : public store::HandOffRoom {
 public:
  explicit AnswersFirst(store::HandOffRoom& room) : room_(room) {}
  const std::string& owner() const override { return room_.owner(); }
  std::chrono::milliseconds lease() const override { return room_.lease(); }
  std::vector<bool> take_slots(const std::vector<domain::WebhookId>& webhooks) override {
    return room_.take_slots(webhooks);
  }
  void give_back(const std::vector<domain::WebhookId>& webhooks) override {
    room_.give_back(webhooks);
  }
  void hand_off(std::vector<store::ClaimedDelivery> deliveries, TimePoint lease_until,
                bool left_pending) override {
    kept_ = Kept{std::move(deliveries), lease_until, left_pending};
  }
  // After the answers; also when the commit failed after the store handed off (nothing then).
  void pass_on() {
    if (!kept_) return;
    room_.hand_off(std::move(kept_->deliveries), kept_->lease_until, kept_->left_pending);
    kept_.reset();
  }

 private:
  struct Kept {
    std::vector<store::ClaimedDelivery> deliveries;
    TimePoint lease_until;
    bool left_pending;
  };
  store::HandOffRoom& room_;
  std::optional<Kept> kept_;
};

}  // namespace

Ingestor::Ingestor(store::EventIngest& ingest, const Clock& clock,
                   std::function<void()> after_commit, store::HandOffRoom* room,
                   size_t max_requests_per_commit, size_t max_queued_requests,
                   size_t max_deliveries_per_commit)
    : ingest_(ingest),
      clock_(clock),
      after_commit_(std::move(after_commit)),
      room_(room),
      max_batch_(max_requests_per_commit),
      max_queue_(max_queued_requests),
      max_deliveries_(std::max<size_t>(max_deliveries_per_commit, 1)) {
  loop_.start([this] { return turn(); });
}

Ingestor::~Ingestor() { stop(); }

void Ingestor::submit(store::IngestRequest request, Done done) {
  {
    std::lock_guard lock(mutex_);
    // Read under the lock that turn() decides under: a request taken here is committed.
    if (!loop_.stopping() && queue_.size() < max_queue_) {
      queue_.push_back(Pending{std::move(request), std::move(done), {}});
      loop_.wake();
      return;
    }
  }
  done(nullptr, "ingestion is shutting down or its queue is full");
}

void Ingestor::stop() { loop_.stop(); }

std::optional<BackgroundLoop::TimePoint> Ingestor::turn() {
  std::vector<Pending> batch;
  bool take_new = false;
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty() && unfinished_.empty()) {
      // Stopped with everything committed, or nothing to do until a request arrives.
      if (loop_.stopping()) return std::nullopt;
      return BackgroundLoop::TimePoint::max();
    }
    // When both wait, commits alternate between new requests and the rest of large ones:
    // a new request waits for one bounded part at most, never for a whole large request,
    // and a large one still moves on under a steady stream of new ones.
    take_new = !queue_.empty() && (unfinished_.empty() || !last_took_new_);
    while (take_new && !queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  last_took_new_ = take_new;
  if (!take_new) {
    batch = std::move(unfinished_);
    unfinished_.clear();
  } else {
    // Small requests first, so that a large one in the same commit cannot fill it before them.
    std::stable_sort(batch.begin(), batch.end(), [](const Pending& a, const Pending& b) {
      return a.request.events.size() < b.request.events.size();
    });
  }
  std::vector<const store::IngestRequest*> requests;
  requests.reserve(batch.size());
  for (const Pending& p : batch) requests.push_back(&p.request);
  std::optional<AnswersFirst> room;
  if (room_) room.emplace(*room_);
  try {
    const auto outcomes =
        ingest_.ingest(requests, clock_.now(), max_deliveries_, room ? &*room : nullptr);
    // The commit filled up before these: new ones go back to the head of the queue (not
    // behind the large request that filled it), started ones before those that moved on.
    std::vector<Pending> not_started, stalled, moved_on;
    for (size_t i = 0; i < batch.size(); ++i) {
      Pending& p = batch[i];
      const store::IngestOutcome& part = outcomes[i];
      if (!part.ok) {
        p.done(&part, nullptr);
        continue;
      }
      p.outcome.events.insert(p.outcome.events.end(), part.events.begin(), part.events.end());
      p.request.resume_at += part.events.size();
      if (p.request.resume_at >= p.request.events.size()) {
        p.done(&p.outcome, nullptr);
      } else if (!part.events.empty()) {
        moved_on.push_back(std::move(p));
      } else if (p.request.resume_at == 0) {
        not_started.push_back(std::move(p));
      } else {
        stalled.push_back(std::move(p));
      }
    }
    for (Pending& p : stalled) unfinished_.push_back(std::move(p));
    for (Pending& p : moved_on) unfinished_.push_back(std::move(p));
    if (!not_started.empty()) {
      last_took_new_ = false;  // they had no turn: the next commit is theirs
      std::lock_guard lock(mutex_);
      for (auto it = not_started.rbegin(); it != not_started.rend(); ++it) {
        queue_.push_front(std::move(*it));
      }
    }
    if (room) room->pass_on();
    if (after_commit_) after_commit_();
  } catch (const std::exception& e) {
    // A request some of whose parts were committed is refused too: its producer sends it
    // again, and the events it gave an id are then answered as duplicates, not stored twice.
    log::error("ingestion commit failed", {{"error", e.what()}, {"requests", batch.size()}});
    for (Pending& p : batch) p.done(nullptr, "the database did not accept the events");
    if (room) room->pass_on();  // a commit that stored (and handed off) before a later failure
  }
  // More may be waiting: the next turn looks at once.
  return std::chrono::steady_clock::now();
}

}  // namespace hookd::ingest
