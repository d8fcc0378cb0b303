#!/usr/bin/env bash
# Runs a worker process (`npm run worker`, `npm start`, the bench's workers) with jemalloc when the
# machine has it (issue 12). Under glibc's malloc the worker's native memory (the SDK's Rust core)
# fragments: with 100 changes cached, 600 -> 3 000 waiting changes grew the RSS by 70 % while both
# JavaScript heaps stayed flat (heap snapshots); under jemalloc by 1.3 %. WORKER_ALLOCATOR=system
# keeps glibc's. exec keeps the PID, so signals reach the process itself.
set -euo pipefail
if [ "${WORKER_ALLOCATOR:-jemalloc}" = "jemalloc" ] && [[ "${LD_PRELOAD:-}" != *jemalloc* ]]; then
  # awk reads to the end: leaving early would kill ldconfig with SIGPIPE, which pipefail and -e
  # turned into a silent exit 141 of this script now and then (a bench worker never started).
  lib="$(/sbin/ldconfig -p 2>/dev/null | awk '/libjemalloc\.so\.2 / && !lib {lib = $NF} END {print lib}')"
  if [ -n "$lib" ]; then
    export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
  else
    echo "[allocator] libjemalloc2 not installed: glibc malloc (the worker's memory grows past its cache bound; apt-get install libjemalloc2)" >&2
  fi
fi
exec "$@"
