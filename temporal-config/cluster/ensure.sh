#!/usr/bin/env bash
# Runs before `npm run stack:cluster` and `npm run test:cluster`: the dev tools (ensure.sh), then the
# cluster's (install.sh), their paths recorded in temporal-config/.cluster-tools.env.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bash temporal-config/ensure.sh
bash temporal-config/cluster/install.sh > temporal-config/.cluster-tools.env.tmp
mv temporal-config/.cluster-tools.env.tmp temporal-config/.cluster-tools.env
