// What one claim of due deliveries costs on SQLite, with a backlog of pending deliveries spread
// over 10 webhooks, when none, nine or all of them are at their in-flight cap:
//   build/bench/hookd_bench --benchmark_filter=Claim
// The argument is the backlog; a claim's cost should not grow with it.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "security/secret_box.hpp"
#include "security/secrets.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace {

using namespace hookd;
using namespace std::chrono_literals;

constexpr int kWebhooks = 10;
constexpr size_t kLimit = 128;
constexpr size_t kCap = 64;
constexpr int64_t kCreatedAt = 1'800'000'000'000'000;

struct ClaimFixture {
  std::filesystem::path dir;
  std::unique_ptr<store::sqlite::SqliteStore> store;
  std::vector<domain::WebhookId> webhooks;
  TimePoint next_claim;

  explicit ClaimFixture(int64_t backlog) {
    dir = std::filesystem::temp_directory_path() /
          ("hookd-claim-bench-" + std::to_string(getpid()) + "-" + std::to_string(backlog));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "claim.db").string();
    const auto started = std::chrono::steady_clock::now();
    store = std::make_unique<store::sqlite::SqliteStore>(path);
    // Secrets are sealed as in the server: sealing is part of what is measured.
    store->use_key_ring(std::make_shared<const hookd::security::KeyRing>(
        std::vector<hookd::security::SecretKey>{hookd::security::generate_secret_key()}));
    store->migrate();
    store->put_organization({1, "bench"});
    store->put_device({1, 1, "lock"});
    for (int i = 0; i < kWebhooks; ++i) {
      domain::Webhook w;
      w.organization_id = 1;
      w.url = "https://example.com/hook/" + std::to_string(i);
      w.topics.add(domain::Topic::kDeviceStatus);
      w.secret_hmac = security::generate_hmac_secret();
      webhooks.push_back(store->create_webhook(w).id);
    }
    // Bulk load through SQLite directly, as ingestion stores them: one event, then one pending
    // delivery per webhook, due at once.
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* event = nullptr;
    sqlite3_stmt* delivery = nullptr;
    sqlite3_prepare_v2(db,
                       "INSERT INTO events (id, organization_id, device_id, topic, time, data,"
                       " created_at) VALUES (?1, 1, 1, 2, ?2, '{\"battery\":87}', ?2)",
                       -1, &event, nullptr);
    sqlite3_prepare_v2(db,
                       "INSERT INTO deliveries (webhook_id, event_id, status, next_attempt_at,"
                       " created_at, updated_at) VALUES (?1, ?2, 'pending', ?3, ?3, ?3)",
                       -1, &delivery, nullptr);
    for (int64_t i = 0; i < backlog / kWebhooks; ++i) {
      const std::string id = "evt_" + std::to_string(i);
      const int64_t at = kCreatedAt + i * 100;
      sqlite3_bind_text(event, 1, id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(event, 2, at);
      sqlite3_step(event);
      sqlite3_reset(event);
      for (domain::WebhookId w : webhooks) {
        sqlite3_bind_int64(delivery, 1, w);
        sqlite3_bind_text(delivery, 2, id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(delivery, 3, at);
        sqlite3_step(delivery);
        sqlite3_reset(delivery);
      }
    }
    sqlite3_finalize(event);
    sqlite3_finalize(delivery);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    next_claim = from_unix_micros(kCreatedAt + backlog / kWebhooks * 100) + 1s;
    std::fprintf(stderr, "claim fixture: %lld pending deliveries loaded in %.1f s\n",
                 static_cast<long long>(backlog),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }

  ~ClaimFixture() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

ClaimFixture& fixture(int64_t backlog) {
  static std::map<int64_t, std::unique_ptr<ClaimFixture>> fixtures;
  auto& f = fixtures[backlog];
  if (!f) f = std::make_unique<ClaimFixture>(backlog);
  return *f;
}

// Claims with the first `at_cap` webhooks holding `kCap` attempts in flight. Each claim comes
// after the leases of the one before ran out, so every claim sees the same backlog.
void run_claims(benchmark::State& state, int at_cap, size_t expected) {
  auto& f = fixture(state.range(0));
  std::map<domain::WebhookId, size_t> in_flight;
  for (int i = 0; i < at_cap; ++i) in_flight[f.webhooks[static_cast<size_t>(i)]] = kCap;
  for (auto _ : state) {
    const TimePoint now = f.next_claim;
    f.next_claim += 31s;
    auto claimed = f.store->claim_due("bench", now, now + 30s, kLimit, kCap, in_flight);
    if (claimed.size() != expected) {
      state.SkipWithError("the claim took an unexpected number of deliveries");
      break;
    }
    benchmark::DoNotOptimize(claimed);
  }
}

void BM_Claim_NoWebhookAtCap(benchmark::State& state) { run_claims(state, 0, kLimit); }
void BM_Claim_NineOfTenWebhooksAtCap(benchmark::State& state) {
  run_claims(state, kWebhooks - 1, kCap);
}
void BM_Claim_AllWebhooksAtCap(benchmark::State& state) { run_claims(state, kWebhooks, 0); }

BENCHMARK(BM_Claim_NoWebhookAtCap)->Arg(20'000)->Arg(200'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Claim_NineOfTenWebhooksAtCap)
    ->Arg(20'000)
    ->Arg(200'000)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Claim_AllWebhooksAtCap)->Arg(20'000)->Arg(200'000)->Unit(benchmark::kMicrosecond);

}  // namespace
