#include "support/power_cut_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace hookd::testing {
namespace {

// A write or truncation not yet synced, in the order it was made.
struct Op {
  bool truncate = false;
  sqlite3_int64 offset = 0;  // of a write; the new size of a truncation
  std::string data;
};

// What the "page cache" holds for one file path, shared by every handle on it (an fsync of
// any descriptor writes back the whole file).
struct FileState {
  std::vector<Op> ops;
};

struct Global {
  std::mutex mutex;
  std::map<std::string, FileState> files;
  std::condition_variable cut_happened;
  bool cut = false;
  size_t writes_until_cut = 0;  // 0: none armed
  size_t syncs = 0;
  size_t discarded = 0;
  sqlite3_vfs* real = nullptr;
  sqlite3_vfs vfs{};
  bool live = false;
};

Global& global() {
  static Global g;
  return g;
}

struct CutFile {
  sqlite3_file base;
  sqlite3_file* real;
  FileState* state;  // null: a file that passes straight through (temporary files)
};

CutFile* as_cut(sqlite3_file* f) { return reinterpret_cast<CutFile*>(f); }

// Under the mutex: power goes, and with it everything not synced.
void cut_locked(Global& g) {
  g.cut = true;
  g.writes_until_cut = 0;
  for (auto& [path, state] : g.files) {
    g.discarded += state.ops.size();
    state.ops.clear();
  }
  g.cut_happened.notify_all();
}

sqlite3_int64 real_size(sqlite3_file* real) {
  sqlite3_int64 size = 0;
  if (real->pMethods->xFileSize(real, &size) != SQLITE_OK) return 0;
  return size;
}

sqlite3_int64 logical_size(CutFile* f) {
  sqlite3_int64 size = real_size(f->real);
  for (const Op& op : f->state->ops) {
    if (op.truncate) {
      size = op.offset;
    } else {
      size = std::max<sqlite3_int64>(size, op.offset + static_cast<sqlite3_int64>(op.data.size()));
    }
  }
  return size;
}

int x_close(sqlite3_file* file) {
  CutFile* f = as_cut(file);
  return f->real->pMethods->xClose(f->real);
}

int x_read(sqlite3_file* file, void* buf, int amount, sqlite3_int64 offset) {
  CutFile* f = as_cut(file);
  if (!f->state) return f->real->pMethods->xRead(f->real, buf, amount, offset);
  std::lock_guard lock(global().mutex);
  const int rc = f->real->pMethods->xRead(f->real, buf, amount, offset);
  // A short read has zero-filled what lies past the end on disk; what is cached may cover it.
  if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return rc;
  auto* out = static_cast<char*>(buf);
  const sqlite3_int64 end = offset + amount;
  for (const Op& op : f->state->ops) {
    if (op.truncate) {
      if (op.offset < end) {
        const sqlite3_int64 from = std::max(op.offset, offset);
        std::memset(out + (from - offset), 0, static_cast<size_t>(end - from));
      }
      continue;
    }
    const sqlite3_int64 op_end = op.offset + static_cast<sqlite3_int64>(op.data.size());
    const sqlite3_int64 from = std::max(op.offset, offset);
    const sqlite3_int64 to = std::min(op_end, end);
    if (from < to) {
      std::memcpy(out + (from - offset), op.data.data() + (from - op.offset),
                  static_cast<size_t>(to - from));
    }
  }
  const sqlite3_int64 size = logical_size(f);
  if (end > size) {
    const sqlite3_int64 from = std::max(size, offset);
    std::memset(out + (from - offset), 0, static_cast<size_t>(end - from));
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

int x_write(sqlite3_file* file, const void* buf, int amount, sqlite3_int64 offset) {
  CutFile* f = as_cut(file);
  std::lock_guard lock(global().mutex);
  if (global().writes_until_cut > 0 && --global().writes_until_cut == 0) cut_locked(global());
  if (global().cut) return SQLITE_IOERR_WRITE;
  if (!f->state) return f->real->pMethods->xWrite(f->real, buf, amount, offset);
  f->state->ops.push_back(
      Op{false, offset, std::string(static_cast<const char*>(buf), static_cast<size_t>(amount))});
  return SQLITE_OK;
}

int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
  CutFile* f = as_cut(file);
  std::lock_guard lock(global().mutex);
  if (global().cut) return SQLITE_IOERR_TRUNCATE;
  if (!f->state) return f->real->pMethods->xTruncate(f->real, size);
  f->state->ops.push_back(Op{true, size, {}});
  return SQLITE_OK;
}

int x_sync(sqlite3_file* file, int flags) {
  CutFile* f = as_cut(file);
  std::lock_guard lock(global().mutex);
  if (global().cut) return SQLITE_IOERR_FSYNC;
  if (f->state) {
    for (const Op& op : f->state->ops) {
      const int rc = op.truncate
                         ? f->real->pMethods->xTruncate(f->real, op.offset)
                         : f->real->pMethods->xWrite(f->real, op.data.data(),
                                                     static_cast<int>(op.data.size()), op.offset);
      if (rc != SQLITE_OK) return rc;
    }
    f->state->ops.clear();
    ++global().syncs;
  }
  return f->real->pMethods->xSync(f->real, flags);
}

int x_file_size(sqlite3_file* file, sqlite3_int64* size) {
  CutFile* f = as_cut(file);
  if (!f->state) return f->real->pMethods->xFileSize(f->real, size);
  std::lock_guard lock(global().mutex);
  *size = logical_size(f);
  return SQLITE_OK;
}

int x_lock(sqlite3_file* file, int level) {
  return as_cut(file)->real->pMethods->xLock(as_cut(file)->real, level);
}
int x_unlock(sqlite3_file* file, int level) {
  return as_cut(file)->real->pMethods->xUnlock(as_cut(file)->real, level);
}
int x_check_reserved_lock(sqlite3_file* file, int* out) {
  return as_cut(file)->real->pMethods->xCheckReservedLock(as_cut(file)->real, out);
}

int x_file_control(sqlite3_file* file, int op, void* arg) {
  CutFile* f = as_cut(file);
  // A size hint grows the file on disk behind the cache's back; the cache needs none.
  if (f->state && op == SQLITE_FCNTL_SIZE_HINT) return SQLITE_OK;
  return f->real->pMethods->xFileControl(f->real, op, arg);
}

int x_sector_size(sqlite3_file* file) {
  return as_cut(file)->real->pMethods->xSectorSize(as_cut(file)->real);
}
int x_device_characteristics(sqlite3_file* file) {
  return as_cut(file)->real->pMethods->xDeviceCharacteristics(as_cut(file)->real);
}

// The WAL index is shared memory, lost with the power anyway: SQLite rebuilds it from the
// WAL when the first connection opens the database again.
int x_shm_map(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  return as_cut(file)->real->pMethods->xShmMap(as_cut(file)->real, page, size, extend, out);
}
int x_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  return as_cut(file)->real->pMethods->xShmLock(as_cut(file)->real, offset, n, flags);
}
void x_shm_barrier(sqlite3_file* file) {
  as_cut(file)->real->pMethods->xShmBarrier(as_cut(file)->real);
}
int x_shm_unmap(sqlite3_file* file, int delete_flag) {
  return as_cut(file)->real->pMethods->xShmUnmap(as_cut(file)->real, delete_flag);
}

// Version 2: no xFetch, so SQLite never maps the file and every read comes through x_read.
const sqlite3_io_methods kMethods = {2,
                                     x_close,
                                     x_read,
                                     x_write,
                                     x_truncate,
                                     x_sync,
                                     x_file_size,
                                     x_lock,
                                     x_unlock,
                                     x_check_reserved_lock,
                                     x_file_control,
                                     x_sector_size,
                                     x_device_characteristics,
                                     x_shm_map,
                                     x_shm_lock,
                                     x_shm_barrier,
                                     x_shm_unmap,
                                     nullptr,
                                     nullptr};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  Global& g = global();
  CutFile* f = as_cut(file);
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->state = nullptr;
  f->base.pMethods = nullptr;
  const int rc = g.real->xOpen(g.real, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (f->real->pMethods) f->real->pMethods->xClose(f->real);
    return rc;
  }
  f->base.pMethods = &kMethods;
  if (name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL))) {
    std::lock_guard lock(g.mutex);
    f->state = &g.files[name];
  }
  return SQLITE_OK;
}

int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  Global& g = global();
  {
    std::lock_guard lock(g.mutex);
    if (g.cut) return SQLITE_IOERR_DELETE;
    auto it = g.files.find(name);
    if (it != g.files.end()) it->second.ops.clear();
  }
  return g.real->xDelete(g.real, name, sync_dir);
}

int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return global().real->xAccess(global().real, name, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return global().real->xFullPathname(global().real, name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) {
  return global().real->xDlOpen(global().real, name);
}
void x_dl_error(sqlite3_vfs*, int n, char* out) { global().real->xDlError(global().real, n, out); }
void (*x_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return global().real->xDlSym(global().real, handle, symbol);
}
void x_dl_close(sqlite3_vfs*, void* handle) { global().real->xDlClose(global().real, handle); }
int x_randomness(sqlite3_vfs*, int n, char* out) {
  return global().real->xRandomness(global().real, n, out);
}
int x_sleep(sqlite3_vfs*, int micros) { return global().real->xSleep(global().real, micros); }
int x_current_time(sqlite3_vfs*, double* out) {
  return global().real->xCurrentTime(global().real, out);
}
int x_get_last_error(sqlite3_vfs*, int n, char* out) {
  return global().real->xGetLastError(global().real, n, out);
}
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return global().real->xCurrentTimeInt64(global().real, out);
}

}  // namespace

PowerCutVfs::PowerCutVfs() {
  Global& g = global();
  std::lock_guard lock(g.mutex);
  if (g.live) throw std::logic_error("one PowerCutVfs at a time");
  g.real = sqlite3_vfs_find("unix");
  if (!g.real) throw std::runtime_error("SQLite has no unix VFS");
  g.files.clear();
  g.cut = false;
  g.writes_until_cut = 0;
  g.syncs = g.discarded = 0;
  sqlite3_vfs& v = g.vfs;
  v = sqlite3_vfs{};
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(CutFile)) + g.real->szOsFile;
  v.mxPathname = g.real->mxPathname;
  v.zName = "hookd-power-cut";
  v.xOpen = x_open;
  v.xDelete = x_delete;
  v.xAccess = x_access;
  v.xFullPathname = x_full_pathname;
  v.xDlOpen = x_dl_open;
  v.xDlError = x_dl_error;
  v.xDlSym = x_dl_sym;
  v.xDlClose = x_dl_close;
  v.xRandomness = x_randomness;
  v.xSleep = x_sleep;
  v.xCurrentTime = x_current_time;
  v.xGetLastError = x_get_last_error;
  v.xCurrentTimeInt64 = x_current_time_int64;
  if (sqlite3_vfs_register(&v, 1) != SQLITE_OK) throw std::runtime_error("cannot register VFS");
  g.live = true;
}

PowerCutVfs::~PowerCutVfs() {
  Global& g = global();
  sqlite3_vfs_unregister(&g.vfs);
  sqlite3_vfs_register(g.real, 1);
  std::lock_guard lock(g.mutex);
  g.files.clear();
  g.live = false;
}

void PowerCutVfs::cut() {
  std::lock_guard lock(global().mutex);
  cut_locked(global());
}

void PowerCutVfs::cut_at_write(size_t n) {
  std::lock_guard lock(global().mutex);
  if (!global().cut) global().writes_until_cut = std::max<size_t>(n, 1);
}

bool PowerCutVfs::wait_for_cut(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(global().mutex);
  return global().cut_happened.wait_for(lock, timeout, [] { return global().cut; });
}

size_t PowerCutVfs::syncs() const {
  std::lock_guard lock(global().mutex);
  return global().syncs;
}

size_t PowerCutVfs::discarded_writes() const {
  std::lock_guard lock(global().mutex);
  return global().discarded;
}

}  // namespace hookd::testing
