#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL server, with HOOKD_TEST_POSTGRES_URL pointing at
# it, so that the PostgreSQL store tests run; the server and its files are gone afterwards.
#   scripts/with-postgres.sh ctest --preset release
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [[ -z $bin ]]; then
  echo "with-postgres: no PostgreSQL server installed (scripts/bootstrap.sh installs it)" >&2
  exit 1
fi
dir=$(mktemp -d /tmp/hookd-pg.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_postgres=()
# initdb refuses to run as root; the server then runs as the postgres system user.
if [[ $(id -u) -eq 0 ]]; then
  chown postgres "$dir"
  as_postgres=(runuser -u postgres --)
fi
stop() {
  "${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
"${as_postgres[@]}" "$bin/initdb" -D "$dir/data" -A trust -U hookd >/dev/null
# fsync off: the data is thrown away, and the tests run faster without it.
"${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
export HOOKD_TEST_POSTGRES_URL="postgresql://hookd@127.0.0.1:$port/postgres"
"$@"
