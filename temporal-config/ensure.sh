#!/usr/bin/env bash
# Runs before `npm start` and `npm test`: installs npm packages when missing or stale and the pinned
# servers (install-tools.sh), then records the binaries' paths in temporal-config/.tools.env.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[ensure] installing npm packages (npm ci; about 30 s the first time)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
bash temporal-config/install-tools.sh > temporal-config/.tools.env.tmp
mv temporal-config/.tools.env.tmp temporal-config/.tools.env
