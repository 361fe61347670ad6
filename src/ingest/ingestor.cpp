#include "ingest/ingestor.hpp"

#include "common/log.hpp"

namespace hookd::ingest {

Ingestor::Ingestor(store::Store& store, const Clock& clock, std::function<void()> after_commit,
                   size_t max_requests_per_commit, size_t max_queued_requests)
    : store_(store),
      clock_(clock),
      after_commit_(std::move(after_commit)),
      max_batch_(max_requests_per_commit),
      max_queue_(max_queued_requests),
      thread_([this] { run(); }) {}

Ingestor::~Ingestor() { stop(); }

void Ingestor::submit(store::IngestRequest request, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && queue_.size() < max_queue_) {
      queue_.push_back(Pending{std::move(request), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(nullptr, "ingestion is shutting down or its queue is full");
}

void Ingestor::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Ingestor::run() {
  std::vector<Pending> batch;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything accepted is committed
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<const store::IngestRequest*> requests;
    requests.reserve(batch.size());
    for (const Pending& p : batch) requests.push_back(&p.request);
    try {
      const auto outcomes = store_.ingest(requests, clock_.now());
      for (size_t i = 0; i < batch.size(); ++i) batch[i].done(&outcomes[i], nullptr);
      if (after_commit_) after_commit_();
    } catch (const std::exception& e) {
      log::error("ingestion commit failed", {{"error", e.what()}, {"requests", batch.size()}});
      for (Pending& p : batch) p.done(nullptr, "the database did not accept the events");
    }
    batch.clear();
  }
}

}  // namespace hookd::ingest
