#!/usr/bin/env bash
# Shared by install-tools.sh and cluster/install.sh: the machine-wide cache, one install at a time,
# and Go builds that show they are alive. Source it after setting nothing; it defines $cache.
# shellcheck source=versions.env
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/versions.env"
cache="${PHONE_CHANGE_TOOLS_DIR:-$HOME/.cache/phone-change/tools}"
mkdir -p "$cache"

say() { printf '[%s] %s\n' "${SAY_AS:-install-tools}" "$*" >&2; }

# Two installs at once (clones testing side by side) would build into one folder: one at a time.
lock_cache() {
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/.install.lock"
    flock -n 9 || { say "another install is running; waiting for it"; flock 9; }
  fi
}

# go install prints nothing while it compiles; a heartbeat shows the build is alive and how far
# it got (`go install -v` names each package as it is built: $GO_PROGRESS_LOG counts them).
GO_PROGRESS_LOG="$cache/.go-build-progress.log"
with_heartbeat() {
  local label="$1"; shift
  local started=$SECONDS
  : > "$GO_PROGRESS_LOG"
  ( while sleep 15; do say "$label: still building ($((SECONDS - started)) s, $(grep -vc ' ' "$GO_PROGRESS_LOG" 2>/dev/null || true) packages compiled so far)"; done ) &
  local beat=$!
  local rc=0
  "$@" || rc=$?
  kill "$beat" 2>/dev/null || true
  wait "$beat" 2>/dev/null || true
  return $rc
}

go_build() { # module version destdir
  local module="$1" version="$2" dest="$3"
  mkdir -p "$dest.tmp"
  # -v lists packages as they are built (the heartbeat counts them); errors still reach stderr.
  GOBIN="$dest.tmp" GOFLAGS="${GOFLAGS:--buildvcs=false}" go install -v "$module@$version" 2> >(tee -a "$GO_PROGRESS_LOG" | grep -v '^[a-zA-Z0-9._~/-]*$' >&2)
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
}

# Builds module@version into $cache/<name>-<version> unless already there; prints nothing on stdout.
ensure_go_tool() { # name module version binary minutes-hint
  local name="$1" module="$2" version="$3" binary="$4" hint="$5" dir="$cache/$1-$3"
  if [ -x "$dir/$binary" ]; then say "$name: $version already built at $dir"; return 0; fi
  command -v go >/dev/null 2>&1 || { say "$name: Go is not installed; install Go 1.22+ (e.g. apt-get install golang)"; return 1; }
  say "$name: building $module@$version (first time only: $hint)"
  local t0=$SECONDS
  with_heartbeat "$name" go_build "$module" "$version" "$dir"
  say "$name: built in $((SECONDS - t0)) s"
}
