#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "domain/event.hpp"
#include "domain/tenancy.hpp"

namespace hookd::store {

class HandOffRoom;

// Delivery rows one ingestion commit writes at most (whole events: the event that reaches the
// bound is the last of the commit). 5,000 rows commit in about 0.1 s (0.3 s on a loaded
// machine), so a request of 1,000 events x 1,000 webhooks never holds the writer, or other
// organizations' ingestion queued behind it, for longer than that.
inline constexpr size_t kMaxDeliveriesPerCommit = 5'000;

// One ingestion request: stored whole or not at all. Each event's id is set by the caller;
// organization_id is filled in from the device.
struct IngestRequest {
  std::vector<domain::Event> events;
  // A request too large for one commit is stored in several: events before this one are
  // stored already (their devices were all checked before the first), and it resumes here.
  size_t resume_at = 0;
};

struct IngestedEvent {
  std::string id;  // for a duplicate, the id of the event first stored
  int64_t deliveries = 0;
  bool duplicate = false;
};

struct IngestOutcome {
  bool ok = true;
  domain::DeviceId missing_device = 0;  // when !ok
  // One per event from the request's resume_at on that this commit stored; fewer than the
  // rest when the commit's delivery bound was reached (see EventIngest::ingest).
  std::vector<IngestedEvent> events;
};

// Device events in, with a delivery for every webhook each matches (src/ingest/ sees only this).
class EventIngest {
 public:
  virtual ~EventIngest() = default;

  // Stores the events of several requests in one transaction (group commit), and a delivery
  // for every webhook each event matches: pending for enabled webhooks, skipped for disabled
  // ones. A producer id seen in the last 24 h is a duplicate. A request with an unknown device
  // stores nothing. Once `max_deliveries` delivery rows are written the commit ends after
  // that event: the requests not finished get the outcomes of the events stored so far, and
  // the caller submits them again with resume_at moved on (devices are not checked again; an
  // event whose device has gone since is answered with no deliveries and not stored).
  // With a `room`, each pending delivery the room gives a slot to is stored leased to it and
  // handed to it after the commit (HandOffRoom); the room is told of pending deliveries left
  // for a claim.
  virtual std::vector<IngestOutcome> ingest(const std::vector<const IngestRequest*>& requests,
                                            TimePoint now, size_t max_deliveries = SIZE_MAX,
                                            HandOffRoom* room = nullptr) = 0;
  // Loads what ingestion matches with (webhooks and devices, into memory) now, so that the
  // first ingestion does not wait for it; a process that ingests calls it at start.
  virtual void prepare_ingestion() {}
};

}  // namespace hookd::store
