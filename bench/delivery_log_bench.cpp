// A webhook's delivery log with 1,000,000 deliveries stored: how long one page takes.
//   build/bench/hookd_bench --benchmark_filter=DeliveryLog
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

#include "security/secret_box.hpp"
#include "security/secrets.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace {

using namespace hookd;
constexpr int64_t kDeliveries = 1'000'000;

struct DeliveryLogFixture {
  std::filesystem::path dir;
  std::unique_ptr<store::sqlite::SqliteStore> store;
  domain::WebhookId webhook = 0;

  DeliveryLogFixture() {
    dir = std::filesystem::temp_directory_path() / ("hookd-log-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "log.db").string();
    const auto started = std::chrono::steady_clock::now();
    store = std::make_unique<store::sqlite::SqliteStore>(path);
    // Secrets are sealed as in the server: sealing is part of what is measured.
    store->use_key_ring(std::make_shared<const hookd::security::KeyRing>(
        std::vector<hookd::security::SecretKey>{hookd::security::generate_secret_key()}));
    store->migrate();
    store->put_organization({1, "bench"});
    store->put_device({1, 1, "lock"});
    domain::Webhook w;
    w.organization_id = 1;
    w.url = "https://example.com/hook";
    w.topics.add(domain::Topic::kDeviceStatus);
    w.secret_hmac = security::generate_hmac_secret();
    webhook = store->create_webhook(w).id;

    // Bulk load through SQLite directly: one transaction, the schema the store migrated.
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* event = nullptr;
    sqlite3_stmt* delivery = nullptr;
    sqlite3_prepare_v2(db,
                       "INSERT INTO events (id, organization_id, device_id, topic, time, data,"
                       " created_at) VALUES (?1, 1, 1, 2, ?2, '{}', ?2)",
                       -1, &event, nullptr);
    sqlite3_prepare_v2(db,
                       "INSERT INTO deliveries (webhook_id, event_id, status, attempt_count,"
                       " created_at, updated_at) VALUES (?1, ?2, ?3, 1, ?4, ?4)",
                       -1, &delivery, nullptr);
    std::mt19937_64 rng(42);
    const char* statuses[] = {"succeeded", "succeeded", "succeeded", "failed", "skipped"};
    for (int64_t i = 0; i < kDeliveries; ++i) {
      const std::string id = "evt_" + std::to_string(i);
      sqlite3_bind_text(event, 1, id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(event, 2, 1'800'000'000'000'000 + i * 1000);
      sqlite3_step(event);
      sqlite3_reset(event);
      sqlite3_bind_int64(delivery, 1, webhook);
      sqlite3_bind_text(delivery, 2, id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(delivery, 3, statuses[rng() % 5], -1, SQLITE_STATIC);
      sqlite3_bind_int64(delivery, 4, 1'800'000'000'000'000 + i * 1000);
      sqlite3_step(delivery);
      sqlite3_reset(delivery);
    }
    sqlite3_finalize(event);
    sqlite3_finalize(delivery);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    std::fprintf(stderr, "delivery log fixture: %lld deliveries loaded in %.1f s\n",
                 static_cast<long long>(kDeliveries),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }

  ~DeliveryLogFixture() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

DeliveryLogFixture& fixture() {
  static DeliveryLogFixture f;
  return f;
}

// Times each page, and reports the p50 and p99 of those times beside Google Benchmark's mean.
void run_pages(benchmark::State& state, store::DeliveryQuery query) {
  auto& f = fixture();
  query.webhook_id = f.webhook;
  std::vector<double> micros;
  for (auto _ : state) {
    const auto t = std::chrono::steady_clock::now();
    auto page = f.store->list_deliveries(query);
    benchmark::DoNotOptimize(page);
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t).count());
    if (page.size() != static_cast<size_t>(query.size)) state.SkipWithError("short page");
  }
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
}

void BM_DeliveryLogFirstPage(benchmark::State& state) {
  run_pages(state, store::DeliveryQuery{0, std::nullopt, 0, 50});
}
void BM_DeliveryLogFailedFirstPage(benchmark::State& state) {
  run_pages(state, store::DeliveryQuery{0, domain::DeliveryStatus::kFailed, 0, 50});
}
void BM_DeliveryLogPageAtOffset10000(benchmark::State& state) {
  run_pages(state, store::DeliveryQuery{0, std::nullopt, 10'000, 50});
}

BENCHMARK(BM_DeliveryLogFirstPage)->Unit(benchmark::kMicrosecond)->Iterations(2000);
BENCHMARK(BM_DeliveryLogFailedFirstPage)->Unit(benchmark::kMicrosecond)->Iterations(2000);
BENCHMARK(BM_DeliveryLogPageAtOffset10000)->Unit(benchmark::kMicrosecond)->Iterations(200);

}  // namespace
