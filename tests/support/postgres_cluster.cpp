#include "support/postgres_cluster.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "support/subprocess.hpp"

namespace hookd::testing {
namespace {

constexpr std::chrono::seconds kCommandDeadline{90};

// The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl, or "".
std::string server_bin_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string best;
  int best_version = -1;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string version = entry.path().filename().string();
    const std::string bin = entry.path().string() + "/bin";
    if (!fs::exists(bin + "/initdb", ec) || !fs::exists(bin + "/pg_ctl", ec)) continue;
    int number = 0;
    try {
      number = std::stoi(version);
    } catch (const std::exception&) {
      continue;
    }
    if (number > best_version) best_version = number, best = bin;
  }
  return best;
}

// A port that was free a moment ago. The server binds it itself a little later; nothing else
// on a test machine races for ports in that window often enough to matter.
uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::system_error(error, std::generic_category(), "bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool valid_database_name(std::string_view name) {
  return !name.empty() && name.size() <= 63 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

}  // namespace

bool PostgresCluster::installed() { return !server_bin_dir().empty(); }

PostgresCluster::PostgresCluster() : bin_(server_bin_dir()) {
  if (bin_.empty()) {
    throw std::runtime_error("no PostgreSQL server under /usr/lib/postgresql/*/bin");
  }
  // initdb refuses to run as root: the server's files then belong to the postgres user.
  if (::geteuid() == 0) {
    const passwd* postgres = ::getpwnam("postgres");
    if (postgres == nullptr) throw std::runtime_error("running as root, but no postgres user");
    if (::chown(dir_.path().c_str(), postgres->pw_uid, postgres->pw_gid) != 0) {
      throw std::system_error(errno, std::generic_category(), "chown " + dir_.path());
    }
  }
  data_dir_ = dir_.file("data");
  log_file_ = dir_.file("server.log");
  port_ = free_port();
  run({"initdb", "-D", data_dir_, "-A", "trust", "-U", "hookd", "-E", "UTF8", "--locale=C",
       "--no-sync"});
  start();
}

PostgresCluster::~PostgresCluster() {
  if (!running_) return;
  try {
    stop(StopMode::kImmediate);
  } catch (const std::exception&) {
    // pg_ctl failed: end the server by its pid, so that it does not outlive its files.
    std::ifstream pid_file(data_dir_ + "/postmaster.pid");
    pid_t pid = 0;
    if (pid_file >> pid && pid > 0) ::kill(pid, SIGKILL);
  }
}

std::string PostgresCluster::url(std::string_view dbname) const {
  return "postgresql://hookd@127.0.0.1:" + std::to_string(port_) + "/" + std::string(dbname);
}

void PostgresCluster::create_database(std::string_view name) {
  if (!valid_database_name(name)) {
    throw std::invalid_argument("database name must be [a-z0-9_]+: " + std::string(name));
  }
  rows("postgres", "CREATE DATABASE " + std::string(name));
}

void PostgresCluster::start() {
  // fsync off: a killed server loses nothing the kernel has (its data is thrown away anyway,
  // and the tests run faster).
  run({"pg_ctl", "-D", data_dir_, "-l", log_file_, "-w", "-t", "60", "-o",
       "-p " + std::to_string(port_) + " -k " + dir_.path() +
           " -c listen_addresses=127.0.0.1 -c fsync=off",
       "start"});
  running_ = true;
}

void PostgresCluster::stop(StopMode mode) {
  run({"pg_ctl", "-D", data_dir_, "-m", mode == StopMode::kFast ? "fast" : "immediate", "-w", "-t",
       "60", "stop"});
  running_ = false;
}

void PostgresCluster::restart(StopMode mode) {
  stop(mode);
  start();
}

std::vector<std::string> PostgresCluster::rows(std::string_view dbname,
                                               const std::string& sql) const {
  const std::string conninfo = url(dbname) + "?connect_timeout=5";
  std::unique_ptr<PGconn, PgConnDeleter> conn(PQconnectdb(conninfo.c_str()));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("cannot connect to " + url(dbname) + ": " +
                             (conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  std::unique_ptr<PGresult, PgResultDeleter> result(PQexec(conn.get(), sql.c_str()));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    throw std::runtime_error("query failed: " + sql + ": " + PQerrorMessage(conn.get()));
  }
  std::vector<std::string> out;
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    std::string text;
    for (int column = 0; column < PQnfields(result.get()); ++column) {
      text +=
          PQgetisnull(result.get(), row, column) ? "NULL" : PQgetvalue(result.get(), row, column);
      text += '|';
    }
    out.push_back(std::move(text));
  }
  return out;
}

std::string PostgresCluster::log() const {
  std::ifstream file(log_file_, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

void PostgresCluster::run(const std::vector<std::string>& args) const {
  std::vector<std::string> argv;
  if (::geteuid() == 0) argv = {"runuser", "-u", "postgres", "--"};
  argv.push_back(bin_ + "/" + args.front());
  argv.insert(argv.end(), args.begin() + 1, args.end());
  const CommandResult result = run_command(argv, {}, kCommandDeadline);
  if (result.exit_code != 0) {
    std::string command;
    for (const std::string& arg : argv) command += (command.empty() ? "" : " ") + arg;
    throw std::runtime_error(command + " exited with " + std::to_string(result.exit_code) + "\n" +
                             result.out + result.err + "---- server log ----\n" + log());
  }
}

}  // namespace hookd::testing
