#!/usr/bin/env bash
# Installs the Debian packages hookd needs to build, test and benchmark, when any is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git curl openssl python3 python3-yaml
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev
  libspdlog-dev libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev libgoogle-perftools-dev
  libc-ares-dev clang-14 libfuzzer-14-dev libclang-rt-14-dev
  postgresql
  chromium sqlite3
  libsystemd-dev dpkg-dev systemd
)
if [[ "${1:-}" == "--bench" ]]; then packages+=(wrk nginx-light); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js runs the signature verifiers of the tests; a machine may have it from elsewhere.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
