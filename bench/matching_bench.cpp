// Matching cost: ingesting one event into a store holding 1,000 organizations, 1,000,000
// devices and 100,000 webhooks, through hookd's own SqliteStore::ingest (matching in memory,
// the insert of the event and of one delivery per matched webhook, and the commit); matching
// alone through hookd's SqliteMatcher (BM_MatchingIndex_*) beside the SQL it replaced
// (BM_MatchingQueryAlone_*); the per-transaction freshness check (BM_MatchingRefreshUnchanged).
// The fixture prints the time and heap the matcher's first load takes.
//
//   build/bench/hookd_bench --benchmark_filter='Ingest|Matching'
//
// The database is built once per process in a temp dir (HOOKD_BENCH_DIR, else TMPDIR, else
// /tmp): SqliteStore(path) + migrate() create the schema, then one transaction on a plain
// sqlite3 connection bulk-loads the fleet. The build time is printed on stderr. The layout,
// fixed by a constant RNG seed:
//
//   organization o (1..1000)      devices (o-1)*1000+1 .. o*1000, in 10 groups of 100
//                                 (group g of o holds the devices of index g*100 .. g*100+99)
//   100 webhooks per organization
//     80 name 1-10 devices         drawn from the organization's first 900 devices
//     even o: 10, odd o: 20        name 1-3 groups, drawn from the first 9 groups
//     even o: 10, odd o: 0         organization-wide (no devices, no groups)
//   => 80,000 device-list (80 %), 15,000 group (15 %), 5,000 organization-wide (5 %) webhooks
//   topics: half of the webhooks all four, the others a random non-empty subset
//
// Diagnostics: HOOKD_BENCH_PRAGMAS="cache_size=-65536;mmap_size=268435456" runs those PRAGMAs
// on every SQLite connection the process opens (hookd's store's included, through
// sqlite3_auto_extension), to show what a setting would change without editing hookd.
// HOOKD_BENCH_KEEP=1 keeps the database for inspection.
//
// So the last 100 devices of every odd organization (50,000 devices, 5 %), and the few others
// of odd organizations that no list or chosen group names, are covered by no webhook.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "domain/event.hpp"
#include "domain/topic.hpp"
#include "security/secret_box.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/sqlite_matcher.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace {

using hookd::TimePoint;
using hookd::domain::DeviceId;
using hookd::domain::Topic;

constexpr int kOrganizations = 1000;
constexpr int kDevicesPerOrganization = 1000;
constexpr int kGroupsPerOrganization = 10;
constexpr int kGroupSize = 100;
constexpr int kWebhooksPerOrganization = 100;
constexpr int kDeviceListWebhooks = 80;  // per organization
constexpr int kListableDevices = 900;    // device lists draw from the first 900 devices
constexpr int kListableGroups = 9;       // group webhooks draw from the first 9 groups
constexpr uint64_t kSeed = 20261129;

// The matching SQL hookd ran in its ingest transaction before the in-memory index (the
// kInsertMatchingDeliveries of src/store/sqlite/sqlite_store_deliveries.cpp until 0587076),
// for the "query alone" benchmark and as the reference both the ingest and the index are
// checked against. The fixture checks that it gives the counts hookd's ingest gives, and
// that benchmark reports an error if it does not.
constexpr const char* kMatchingQueryCopy =
    "SELECT w.id FROM webhooks w WHERE w.id IN ("
    "   SELECT webhook_id FROM webhook_devices WHERE device_id = ?2"
    "   UNION SELECT wg.webhook_id FROM device_group_members m"
    "     JOIN webhook_device_groups wg ON wg.group_id = m.group_id WHERE m.device_id = ?2"
    "   UNION SELECT id FROM webhooks WHERE organization_id = ?3 AND organization_wide = 1)"
    " AND w.organization_id = ?3 AND (w.topics & ?4) != 0";
constexpr const char* kDeviceOrganization = "SELECT organization_id FROM devices WHERE id = ?1";

// The PRAGMAs of HOOKD_BENCH_PRAGMAS, run on each new connection.
int apply_pragmas(sqlite3* db, const char**, const struct sqlite3_api_routines*) {
  const char* pragmas = std::getenv("HOOKD_BENCH_PRAGMAS");
  if (!pragmas) return SQLITE_OK;
  std::string sql;
  std::string all = pragmas;
  size_t start = 0;
  while (start <= all.size()) {
    size_t end = all.find(';', start);
    if (end == std::string::npos) end = all.size();
    if (end > start) sql += "PRAGMA " + all.substr(start, end - start) + ";";
    start = end + 1;
  }
  return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
}

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
  }
}

// A prepared statement for the bulk load: bind, step, reset.
class Insert {
 public:
  Insert(sqlite3* db, const char* sql) : db_(db) {
    check(sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr), db, sql);
  }
  ~Insert() { sqlite3_finalize(stmt_); }
  Insert(const Insert&) = delete;
  Insert& operator=(const Insert&) = delete;

  Insert& i(int index, int64_t v) {
    sqlite3_bind_int64(stmt_, index, v);
    return *this;
  }
  Insert& t(int index, const std::string& v) {
    sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Insert& null(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
  }
  void run() {
    check(sqlite3_step(stmt_), db_, "insert");
    sqlite3_reset(stmt_);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error(std::string(sql) + ": " + msg);
  }
}

// A random id shaped like hookd's ("evt_" and 24 of [A-Za-z0-9]), from a fast PRNG: the
// events table is keyed by it, so sequential ids would make its inserts unrealistically cheap.
std::string event_id(std::mt19937_64& rng) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string id = "evt_";
  id.resize(28);
  uint64_t bits = rng();
  int left = 10;  // 6 bits per character out of 64
  for (size_t i = 4; i < id.size(); ++i) {
    if (left == 0) {
      bits = rng();
      left = 10;
    }
    id[i] = kAlphabet[(bits & 63) % 62];
    bits >>= 6;
    --left;
  }
  return id;
}

DeviceId device_id(int organization, int index) {
  return static_cast<DeviceId>(organization - 1) * kDevicesPerOrganization + index + 1;
}

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<hookd::store::sqlite::SqliteStore> store;
  sqlite3* reader = nullptr;  // for the query-alone benchmark
  sqlite3_stmt* organization_of = nullptr;
  sqlite3_stmt* matching = nullptr;
  std::vector<DeviceId> uncovered;
  std::vector<uint16_t> coverage;  // webhooks covering device id-1, topics aside
  bool query_copy_matches = true;
  std::string query_copy_problem;
  // hookd's own matcher (what SqliteStore::ingest runs) on a connection of its own.
  std::unique_ptr<hookd::store::sqlite::Connection> matcher_connection;
  hookd::store::sqlite::SqliteMatcher matcher;
  bool matcher_matches = true;
  std::string matcher_problem;
  std::mt19937_64 rng{kSeed + 1};  // the benchmarks' draws

  Fixture() = default;
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;
  ~Fixture() {
    sqlite3_finalize(organization_of);
    sqlite3_finalize(matching);
    sqlite3_close(reader);
    matcher_connection.reset();
    store.reset();
    if (std::getenv("HOOKD_BENCH_KEEP")) {
      std::fprintf(stderr, "matching fixture: kept %s (HOOKD_BENCH_KEEP)\n", dir.c_str());
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

void load(sqlite3* db, Fixture& f) {
  std::mt19937_64 rng(kSeed);
  const int64_t now = hookd::to_unix_micros(hookd::SystemClock().now());
  f.coverage.assign(static_cast<size_t>(kOrganizations) * kDevicesPerOrganization, 0);

  exec(db, "BEGIN IMMEDIATE");
  Insert org(
      db, "INSERT INTO organizations (id, name, created_at, modified_at) VALUES (?1, ?2, ?3, ?3)");
  Insert device(db, "INSERT INTO devices (id, organization_id, name) VALUES (?1, ?2, ?3)");
  Insert group(db, "INSERT INTO device_groups (id, organization_id, name) VALUES (?1, ?2, ?3)");
  Insert member(db, "INSERT INTO device_group_members (group_id, device_id) VALUES (?1, ?2)");
  Insert webhook(db,
                 "INSERT INTO webhooks (id, organization_id, url, topics, secret_hmac, secret_http,"
                 " status, disabled_reason, created_at, modified_at, organization_wide)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'enabled', NULL, ?7, ?7, ?8)");
  Insert webhook_device(db, "INSERT INTO webhook_devices (webhook_id, device_id) VALUES (?1, ?2)");
  Insert webhook_group(db,
                       "INSERT INTO webhook_device_groups (webhook_id, group_id) VALUES (?1, ?2)");

  std::uniform_int_distribution<int> coin(0, 1);
  std::uniform_int_distribution<int> subset(1, 14);  // a non-empty mask short of all four
  std::uniform_int_distribution<int> list_size(1, 10);
  std::uniform_int_distribution<int> group_count(1, 3);
  std::uniform_int_distribution<int> listable_device(0, kListableDevices - 1);
  std::uniform_int_distribution<int> listable_group(0, kListableGroups - 1);
  const std::string secret = "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB";
  int64_t webhook_id = 0;

  for (int o = 1; o <= kOrganizations; ++o) {
    org.i(1, o).t(2, "organization " + std::to_string(o)).i(3, now).run();
    for (int k = 0; k < kDevicesPerOrganization; ++k) {
      device.i(1, device_id(o, k)).i(2, o).t(3, "lock").run();
    }
    for (int g = 0; g < kGroupsPerOrganization; ++g) {
      const int64_t gid = static_cast<int64_t>(o - 1) * kGroupsPerOrganization + g + 1;
      group.i(1, gid).i(2, o).t(3, "group " + std::to_string(g)).run();
      for (int k = g * kGroupSize; k < (g + 1) * kGroupSize; ++k) {
        member.i(1, gid).i(2, device_id(o, k)).run();
      }
    }
    const int group_webhooks = o % 2 == 0 ? 10 : 20;
    for (int n = 0; n < kWebhooksPerOrganization; ++n) {
      ++webhook_id;
      const bool lists_devices = n < kDeviceListWebhooks;
      const bool lists_groups = !lists_devices && n < kDeviceListWebhooks + group_webhooks;
      const int topics = coin(rng) ? 15 : subset(rng);
      const std::string url =
          "https://hooks.example.com/o/" + std::to_string(o) + "/w/" + std::to_string(webhook_id);
      webhook.i(1, webhook_id).i(2, o).t(3, url).i(4, topics).t(5, secret);
      if (coin(rng)) {
        webhook.t(6, "PoWJFA11inptkbGz");
      } else {
        webhook.null(6);
      }
      webhook.i(7, now).i(8, lists_devices || lists_groups ? 0 : 1).run();
      if (lists_devices) {
        std::vector<int> picked;
        const int size = list_size(rng);
        while (static_cast<int>(picked.size()) < size) {
          const int k = listable_device(rng);
          if (std::find(picked.begin(), picked.end(), k) == picked.end()) picked.push_back(k);
        }
        for (int k : picked) {
          webhook_device.i(1, webhook_id).i(2, device_id(o, k)).run();
          ++f.coverage[static_cast<size_t>(device_id(o, k) - 1)];
        }
      } else if (lists_groups) {
        std::vector<int> picked;
        const int count = group_count(rng);
        while (static_cast<int>(picked.size()) < count) {
          const int g = listable_group(rng);
          if (std::find(picked.begin(), picked.end(), g) == picked.end()) picked.push_back(g);
        }
        for (int g : picked) {
          webhook_group.i(1, webhook_id)
              .i(2, static_cast<int64_t>(o - 1) * kGroupsPerOrganization + g + 1)
              .run();
          for (int k = g * kGroupSize; k < (g + 1) * kGroupSize; ++k) {
            ++f.coverage[static_cast<size_t>(device_id(o, k) - 1)];
          }
        }
      } else {
        for (int k = 0; k < kDevicesPerOrganization; ++k) {
          ++f.coverage[static_cast<size_t>(device_id(o, k) - 1)];
        }
      }
    }
  }
  exec(db, "COMMIT");
  for (size_t i = 0; i < f.coverage.size(); ++i) {
    if (f.coverage[i] == 0) f.uncovered.push_back(static_cast<DeviceId>(i + 1));
  }
}

// The matching triggers of migration 7 (CREATE statements), and their names.
std::vector<std::string> sqlite_master_column(sqlite3* db, const char* column) {
  std::vector<std::string> out;
  sqlite3_stmt* s = nullptr;
  const std::string sql = std::string("SELECT ") + column +
                          " FROM sqlite_master WHERE type = 'trigger' AND name LIKE "
                          "'%_for_matching' ORDER BY name";
  check(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), db, "prepare");
  while (sqlite3_step(s) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  }
  sqlite3_finalize(s);
  return out;
}
std::vector<std::string> matching_triggers(sqlite3* db) { return sqlite_master_column(db, "sql"); }
std::vector<std::string> trigger_names(sqlite3* db) { return sqlite_master_column(db, "name"); }

// Counts the rows of the query copy for one (device, topic).
int64_t query_copy_count(Fixture& f, DeviceId device, Topic topic) {
  sqlite3_stmt* org = f.organization_of;
  sqlite3_stmt* match = f.matching;
  sqlite3_bind_int64(org, 1, device);
  int64_t organization = -1;
  if (sqlite3_step(org) == SQLITE_ROW) organization = sqlite3_column_int64(org, 0);
  sqlite3_reset(org);
  hookd::domain::TopicSet topics;
  topics.add(topic);
  sqlite3_bind_int64(match, 2, device);
  sqlite3_bind_int64(match, 3, organization);
  sqlite3_bind_int64(match, 4, topics.mask());
  int64_t n = 0;
  while (sqlite3_step(match) == SQLITE_ROW) ++n;
  sqlite3_reset(match);
  return n;
}

hookd::store::IngestRequest one_event(std::mt19937_64& rng, DeviceId device, Topic topic,
                                      TimePoint now) {
  hookd::store::IngestRequest request;
  hookd::domain::Event& e = request.events.emplace_back();
  e.id = event_id(rng);
  e.device_id = device;
  e.topic = topic;
  e.time = now;
  return request;
}

std::unique_ptr<Fixture> build_fixture() {
  auto owned = std::make_unique<Fixture>();
  Fixture& fx = *owned;
  {
    const char* base = std::getenv("HOOKD_BENCH_DIR");
    if (!base) base = std::getenv("TMPDIR");
    std::string templ = std::string(base ? base : "/tmp") + "/hookd-matching-XXXXXX";
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed for " + templ);
    fx.dir = templ;
    const std::string path = (fx.dir / "matching.db").string();

    if (const char* pragmas = std::getenv("HOOKD_BENCH_PRAGMAS")) {
      std::fprintf(stderr, "matching fixture: every SQLite connection runs PRAGMA %s\n", pragmas);
      sqlite3_auto_extension(reinterpret_cast<void (*)()>(apply_pragmas));
    }
    const auto start = std::chrono::steady_clock::now();
    fx.store = std::make_unique<hookd::store::sqlite::SqliteStore>(path);
    // Secrets are sealed as in the server: sealing is part of what is measured.
    fx.store->use_key_ring(std::make_shared<const hookd::security::KeyRing>(
        std::vector<hookd::security::SecretKey>{hookd::security::generate_secret_key()}));
    fx.store->migrate();
    sqlite3* db = nullptr;
    check(sqlite3_open(path.c_str(), &db), db, "open");
    // The bulk load bypasses migration 7's change triggers (dropped, then created again):
    // with them, each of the 2.6 million rows also writes a change row, and the build takes
    // minutes. Nothing is lost: a store that has not matched yet loads everything at its first
    // ingest, and the generation is bumped so that any that had would too.
    const std::vector<std::string> triggers = matching_triggers(db);
    for (const std::string& name : trigger_names(db)) {
      exec(db, ("DROP TRIGGER " + name).c_str());
    }
    load(db, fx);
    for (const std::string& sql : triggers) exec(db, sql.c_str());
    exec(db, "UPDATE matching_generation SET value = value + 1000000000");
    exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite3_close(db);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    double covering = 0;
    for (uint16_t c : fx.coverage) covering += c;
    std::fprintf(stderr,
                 "matching fixture: %d organizations, %d devices, %d webhooks, built in %.1f s"
                 " in %s (%.0f MiB); devices covered by no webhook: %zu; webhooks covering a"
                 " device, before the topic filter: %.2f on average\n",
                 kOrganizations, kOrganizations * kDevicesPerOrganization,
                 kOrganizations * kWebhooksPerOrganization, seconds, fx.dir.c_str(),
                 static_cast<double>(std::filesystem::file_size(path)) / (1 << 20),
                 fx.uncovered.size(), covering / static_cast<double>(fx.coverage.size()));

    check(sqlite3_open_v2(path.c_str(), &fx.reader, SQLITE_OPEN_READONLY, nullptr), fx.reader,
          "open");
    check(sqlite3_prepare_v2(fx.reader, kDeviceOrganization, -1, &fx.organization_of, nullptr),
          fx.reader, "prepare");
    check(sqlite3_prepare_v2(fx.reader, kMatchingQueryCopy, -1, &fx.matching, nullptr), fx.reader,
          "prepare");
    // The query copy must still count what hookd's ingest inserts.
    std::mt19937_64 rng(kSeed + 2);
    std::uniform_int_distribution<DeviceId> any_device(1, kOrganizations * kDevicesPerOrganization);
    std::uniform_int_distribution<int> any_topic(0, 3);
    for (int n = 0; n < 200 && fx.query_copy_matches; ++n) {
      const DeviceId d = any_device(rng);
      const Topic t = hookd::domain::kAllTopics[any_topic(rng)];
      const auto request = one_event(rng, d, t, hookd::SystemClock().now());
      const auto outcome = fx.store->ingest({&request}, hookd::SystemClock().now());
      const int64_t by_ingest = outcome.at(0).events.at(0).deliveries;
      const int64_t by_copy = query_copy_count(fx, d, t);
      if (by_ingest != by_copy) {
        fx.query_copy_matches = false;
        fx.query_copy_problem = "device " + std::to_string(d) + ": ingest made " +
                                std::to_string(by_ingest) + " deliveries, the query copy found " +
                                std::to_string(by_copy) +
                                "; bench/matching_bench.cpp's copy of the SQL is out of date";
        std::fprintf(stderr, "matching fixture: %s\n", fx.query_copy_problem.c_str());
      }
    }

    // hookd's matcher: the time and heap its first load takes, then the same check against
    // the query copy on other draws.
    fx.matcher_connection = std::make_unique<hookd::store::sqlite::Connection>(path);
    const struct mallinfo2 heap_before = mallinfo2();
    const auto load_start = std::chrono::steady_clock::now();
    fx.matcher.refresh(*fx.matcher_connection);
    const double load_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
    const struct mallinfo2 heap_after = mallinfo2();
    const double heap_mib = (static_cast<double>(heap_after.uordblks + heap_after.hblkhd) -
                             static_cast<double>(heap_before.uordblks + heap_before.hblkhd)) /
                            (1 << 20);
    std::fprintf(stderr,
                 "matching fixture: matching index of %zu webhooks and %zu devices loaded in %.2f"
                 " s, heap %.1f MiB (malloc'd bytes in use after the load minus before)\n",
                 fx.matcher.webhooks().size(), fx.matcher.devices().size(), load_seconds, heap_mib);
    std::vector<hookd::store::WebhookMatch> matches;
    for (int n = 0; n < 2000 && fx.matcher_matches; ++n) {
      const DeviceId d = any_device(rng);
      const Topic t = hookd::domain::kAllTopics[any_topic(rng)];
      const auto facts = fx.matcher.device(d);
      matches.clear();
      if (facts) fx.matcher.match(d, *facts, t, matches);
      const int64_t by_copy = query_copy_count(fx, d, t);
      if (static_cast<int64_t>(matches.size()) != by_copy) {
        fx.matcher_matches = false;
        fx.matcher_problem = "device " + std::to_string(d) + ": the matcher found " +
                             std::to_string(matches.size()) + " webhooks, the query copy " +
                             std::to_string(by_copy);
        std::fprintf(stderr, "matching fixture: %s\n", fx.matcher_problem.c_str());
      }
    }
  }
  return owned;
}

// Built at the first use, once per process; the temp dir goes at exit.
Fixture& fixture() {
  static const std::unique_ptr<Fixture> f = build_fixture();
  return *f;
}

// Draws (device, topic) pairs before the timed loop, so the loop times hookd alone.
struct Draws {
  std::vector<DeviceId> devices;
  std::vector<Topic> topics;
};

Draws draw(Fixture& f, bool uncovered_only, size_t n) {
  Draws d;
  std::uniform_int_distribution<DeviceId> any_device(1, kOrganizations * kDevicesPerOrganization);
  std::uniform_int_distribution<size_t> any_uncovered(0, f.uncovered.size() - 1);
  std::uniform_int_distribution<int> any_topic(0, 3);
  for (size_t i = 0; i < n; ++i) {
    d.devices.push_back(uncovered_only ? f.uncovered[any_uncovered(f.rng)] : any_device(f.rng));
    d.topics.push_back(hookd::domain::kAllTopics[any_topic(f.rng)]);
  }
  return d;
}

constexpr size_t kDraws = 1 << 16;

// One event per call of SqliteStore::ingest: the device's organization, the matching query,
// the event row, a delivery row per matched webhook, and the commit (WAL, synchronous=NORMAL).
void ingest_one(benchmark::State& state, bool uncovered_only) {
  Fixture& f = fixture();
  const Draws d = draw(f, uncovered_only, kDraws);
  std::mt19937_64 ids(f.rng());
  const hookd::SystemClock clock;
  size_t i = 0;
  int64_t deliveries = 0;
  for (auto _ : state) {
    const auto request = one_event(ids, d.devices[i], d.topics[i], clock.now());
    const auto outcomes = f.store->ingest({&request}, clock.now());
    deliveries += outcomes[0].events[0].deliveries;
    i = (i + 1) % kDraws;
  }
  state.counters["deliveries/event"] =
      benchmark::Counter(static_cast<double>(deliveries) / static_cast<double>(state.iterations()));
  state.SetItemsProcessed(state.iterations());
}

void BM_IngestOneEvent_RandomDevice(benchmark::State& state) { ingest_one(state, false); }
void BM_IngestOneEvent_UncoveredDevice(benchmark::State& state) { ingest_one(state, true); }

// 1000 events (random devices) in one request, one transaction: the per-event cost with the
// commit shared, as the batch API and group commit give it.
void BM_IngestBatch1000_RandomDevices(benchmark::State& state) {
  Fixture& f = fixture();
  const Draws d = draw(f, false, kDraws);
  std::mt19937_64 ids(f.rng());
  const hookd::SystemClock clock;
  size_t i = 0;
  int64_t deliveries = 0;
  for (auto _ : state) {
    state.PauseTiming();
    hookd::store::IngestRequest request;
    request.events.reserve(1000);
    const TimePoint now = clock.now();
    for (int n = 0; n < 1000; ++n) {
      request.events.push_back(one_event(ids, d.devices[i], d.topics[i], now).events[0]);
      i = (i + 1) % kDraws;
    }
    state.ResumeTiming();
    const auto outcomes = f.store->ingest({&request}, clock.now());
    for (const auto& e : outcomes[0].events) deliveries += e.deliveries;
  }
  const auto events = static_cast<double>(state.iterations()) * 1000;
  state.counters["deliveries/event"] = benchmark::Counter(static_cast<double>(deliveries) / events);
  state.counters["time/event"] =
      benchmark::Counter(events, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetItemsProcessed(static_cast<int64_t>(events));
}

// The matching query alone (a copy of hookd's, see kMatchingQueryCopy) with the device's
// organization look-up before it, on a read-only connection: no insert, no transaction.
void BM_MatchingQueryAlone_RandomDevice(benchmark::State& state) {
  Fixture& f = fixture();
  if (!f.query_copy_matches) {
    state.SkipWithError(f.query_copy_problem.c_str());
    return;
  }
  const Draws d = draw(f, false, kDraws);
  size_t i = 0;
  int64_t matched = 0;
  for (auto _ : state) {
    matched += query_copy_count(f, d.devices[i], d.topics[i]);
    i = (i + 1) % kDraws;
  }
  state.counters["webhooks/event"] =
      benchmark::Counter(static_cast<double>(matched) / static_cast<double>(state.iterations()));
  state.SetItemsProcessed(state.iterations());
}

// What SqliteStore::ingest now runs to match one event, all in memory: the device's
// organization and groups (which is also the unknown-device check) and the webhook look-ups.
void BM_MatchingIndex_RandomDevice(benchmark::State& state) {
  Fixture& f = fixture();
  if (!f.matcher_matches) {
    state.SkipWithError(f.matcher_problem.c_str());
    return;
  }
  const Draws d = draw(f, false, kDraws);
  std::vector<hookd::store::WebhookMatch> matches;
  size_t i = 0;
  int64_t matched = 0;
  for (auto _ : state) {
    const auto facts = f.matcher.device(d.devices[i]);
    matches.clear();
    f.matcher.match(d.devices[i], *facts, d.topics[i], matches);
    matched += static_cast<int64_t>(matches.size());
    i = (i + 1) % kDraws;
  }
  state.counters["webhooks/event"] =
      benchmark::Counter(static_cast<double>(matched) / static_cast<double>(state.iterations()));
  state.SetItemsProcessed(state.iterations());
}

// The freshness check each ingest transaction makes when no webhook changed: one read of
// matching_generation.
void BM_MatchingRefreshUnchanged(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) f.matcher.refresh(*f.matcher_connection);
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_IngestOneEvent_RandomDevice)->Unit(benchmark::kMicrosecond)->MinTime(3);
BENCHMARK(BM_IngestOneEvent_UncoveredDevice)->Unit(benchmark::kMicrosecond)->MinTime(3);
BENCHMARK(BM_IngestBatch1000_RandomDevices)->Unit(benchmark::kMillisecond)->MinTime(3);
BENCHMARK(BM_MatchingQueryAlone_RandomDevice)->Unit(benchmark::kMicrosecond)->MinTime(3);
BENCHMARK(BM_MatchingIndex_RandomDevice)->Unit(benchmark::kMicrosecond)->MinTime(3);
BENCHMARK(BM_MatchingRefreshUnchanged)->Unit(benchmark::kMicrosecond)->MinTime(1);

}  // namespace
