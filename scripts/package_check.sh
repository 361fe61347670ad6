#!/usr/bin/env bash
# Installs the Debian package `make package` built, checks it, and removes it again:
# - `hookd doctor` passes on the packaged configuration;
# - `systemd-analyze verify` finds nothing wrong with the installed unit (its security score
#   is printed too);
# - where systemd runs, hookd.service starts and answers /readyz; elsewhere hookd serve runs with
#   the packaged configuration as an unprivileged user owning /var/lib/hookd, as DynamicUser=
#   and StateDirectory= would have it, and makes its database and key there;
# - `dpkg --purge` leaves nothing in /usr/bin, /lib/systemd, /etc/hookd or /etc/systemd.
# Usage: scripts/package_check.sh build/package/hookd_<version>_<arch>.deb (as root, or with sudo)
set -euo pipefail

deb=${1:?usage: $0 PACKAGE.deb}
[[ -f "$deb" ]] || { echo "package_check: no package $deb" >&2; exit 1; }
as_root=()
[[ $(id -u) -eq 0 ]] || as_root=(sudo)
step() { echo "package_check: $*" >&2; }

# Polls URL until it answers 200, for at most 30 s.
wait_ready() {
  local url=$1 deadline=$((SECONDS + 30))
  until curl -fsS -o /dev/null "$url"; do
    ((SECONDS < deadline)) || { step "$url did not answer 200 within 30 s"; return 1; }
    sleep 0.2
  done
}

state_dir=/var/lib/hookd
made_state_dir=false
server_pid=
cleanup() {
  [[ -n "$server_pid" ]] && { "${as_root[@]}" kill "$server_pid" 2>/dev/null || true; }
  if dpkg-query -W -f='${Status}' hookd 2>/dev/null | grep -q "installed"; then
    "${as_root[@]}" dpkg --purge hookd >/dev/null || true
  fi
  if $made_state_dir; then "${as_root[@]}" rm -rf "$state_dir"; fi
}
trap cleanup EXIT

step "installing $deb"
if ! "${as_root[@]}" dpkg -i "$deb"; then
  step "installing the missing dependencies"
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -f -y -qq --no-install-recommends
fi
dpkg -c "$deb"
for f in /usr/bin/hookd /etc/hookd/hookd.toml /lib/systemd/system/hookd.service; do
  [[ -e "$f" ]] || { step "the package did not install $f"; exit 1; }
done
grep -qx /etc/hookd/hookd.toml /var/lib/dpkg/info/hookd.conffiles ||
  { step "/etc/hookd/hookd.toml is no conffile"; exit 1; }

step "hookd doctor on the packaged configuration"
/usr/bin/hookd doctor --config /etc/hookd/hookd.toml

step "systemd-analyze verify"
verify_output=$(systemd-analyze verify /lib/systemd/system/hookd.service 2>&1) || {
  echo "$verify_output" >&2
  step "systemd-analyze verify failed"
  exit 1
}
if [[ -n "$verify_output" ]]; then
  echo "$verify_output" >&2
  step "systemd-analyze verify printed warnings"
  exit 1
fi
step "systemd-analyze verify: no warnings"
systemd-analyze security --offline=true /lib/systemd/system/hookd.service 2>&1 | tail -n 1

if [[ -d /run/systemd/system ]]; then
  step "starting hookd.service"
  "${as_root[@]}" systemctl start hookd.service
  wait_ready http://127.0.0.1:8080/readyz
  systemctl is-active hookd.service
  systemctl show -p StatusText hookd.service
  "${as_root[@]}" systemctl stop hookd.service
else
  step "systemd is not running: hookd serve as an unprivileged user owning $state_dir"
  if [[ -e "$state_dir" ]]; then
    step "$state_dir exists already: left alone, serve not tried"
  else
    made_state_dir=true
    "${as_root[@]}" install -d -m 0700 -o nobody -g nogroup "$state_dir"
    log=$(mktemp)
    # Port 0: this machine's 8080 may be taken; the log names the port.
    "${as_root[@]}" env -i PATH=/usr/bin:/bin HOOKD_LISTEN=127.0.0.1:0 \
      setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs \
      /usr/bin/hookd serve --config /etc/hookd/hookd.toml 2>"$log" &
    server_pid=$!
    deadline=$((SECONDS + 30))
    until port=$(grep -o '"msg":"listening".*' "$log" | grep -o '"port":[0-9]*' | cut -d: -f2) &&
      [[ -n "$port" ]]; do
      if ((SECONDS >= deadline)) || ! kill -0 "$server_pid" 2>/dev/null; then
        cat "$log" >&2
        step "hookd serve did not start"
        exit 1
      fi
      sleep 0.2
    done
    wait_ready "http://127.0.0.1:$port/readyz"
    for f in "$state_dir/hookd.db" "$state_dir/hookd.db.key"; do
      owner_mode=$("${as_root[@]}" stat -c '%U %a' "$f")
      [[ "$owner_mode" == "nobody 600" ]] ||
        { step "$f is $owner_mode, not nobody 600"; exit 1; }
    done
    step "serve made $state_dir/hookd.db and hookd.db.key (nobody, 0600) and answered /readyz"
    "${as_root[@]}" kill -TERM "$server_pid"
    wait "$server_pid" || { cat "$log" >&2; step "hookd serve did not stop cleanly"; exit 1; }
    server_pid=
    step "hookd doctor on the database serve made"
    "${as_root[@]}" setpriv --reuid=nobody --regid=nogroup --clear-groups \
      /usr/bin/hookd doctor --config /etc/hookd/hookd.toml
    rm -f "$log"
  fi
fi

step "purging"
"${as_root[@]}" dpkg --purge hookd
left=$(ls -d /usr/bin/hookd /lib/systemd/system/hookd.service /etc/hookd \
  /etc/systemd/system/multi-user.target.wants/hookd.service 2>/dev/null || true)
if [[ -n "$left" ]]; then
  step "left after purge: $left"
  exit 1
fi
step "the package installed, passed doctor and systemd-analyze verify, and purged cleanly"
