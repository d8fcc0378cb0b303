#!/usr/bin/env bash
# Installs what the cluster stack needs besides install-tools.sh's nats-server: the Temporal server,
# its SQL schema tool and the Web UI server (built once into the machine-wide cache), and
# PostgreSQL from the Debian package when missing. Prints the paths as shell assignments on stdout;
# progress goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SAY_AS=install-cluster
# shellcheck source=../tools-lib.sh
source "$here/../tools-lib.sh"
lock_cache

pg_bin="/usr/lib/postgresql/$POSTGRES_MAJOR/bin"
if [ ! -x "$pg_bin/postgres" ]; then
  say "postgresql: installing postgresql-$POSTGRES_MAJOR with apt-get"
  command -v apt-get >/dev/null 2>&1 || { say "postgresql: no apt-get; install PostgreSQL $POSTGRES_MAJOR yourself"; exit 1; }
  apt-get install -y -q "postgresql-$POSTGRES_MAJOR" >&2 || { apt-get update -q >&2 && apt-get install -y -q "postgresql-$POSTGRES_MAJOR" >&2; }
fi

ensure_go_tool temporal-server "$TEMPORAL_SERVER_MODULE" "$TEMPORAL_SERVER_VERSION" server "9-10 min on 2 cores, longer under load"
ensure_go_tool temporal-sql-tool "$TEMPORAL_SQL_TOOL_MODULE" "$TEMPORAL_SERVER_VERSION" sql "under a minute after the server"
ensure_go_tool temporal-ui-server "$TEMPORAL_UI_SERVER_MODULE" "$TEMPORAL_UI_SERVER_VERSION" server "about 1 min"

echo "TEMPORAL_SERVER_BIN=$cache/temporal-server-$TEMPORAL_SERVER_VERSION/server"
echo "TEMPORAL_SQL_TOOL_BIN=$cache/temporal-sql-tool-$TEMPORAL_SERVER_VERSION/sql"
echo "TEMPORAL_UI_SERVER_BIN=$cache/temporal-ui-server-$TEMPORAL_UI_SERVER_VERSION/server"
echo "POSTGRES_BIN_DIR=$pg_bin"
