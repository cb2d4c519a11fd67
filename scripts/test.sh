#!/usr/bin/env bash
# The whole suite on SQLite, then again on PostgreSQL; the last line is pytest's summary.
# PostgreSQL: $TEST_DATABASE_URL, or postgres://postgres@127.0.0.1:5432/postgres.
# With CI=true an unreachable PostgreSQL fails the run (before anything runs) instead of being skipped.
# Extra arguments go to pytest (e.g. `make test ARGS="-k members"`).
# Each run is spread over TEST_WORKERS processes (pytest-xdist; default 2, this machine's cores;
# 0 runs in one process). Every worker is its own process, so it gets its own test database
# (settings.py names it after the process) and its own live server on a free port.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python
PG_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
WORKERS=${TEST_WORKERS:-2}
# Compiled modules are written (and so shared by every worker and the second database's run) even
# where the environment says not to: otherwise each of the four processes compiles the whole code.
unset PYTHONDONTWRITEBYTECODE

run_pytest() {  # $1 = label; the rest = environment assignments then pytest arguments
  local label=$1
  shift
  echo "== $label =="
  env "$@"
  local rc=$?
  if [ $rc -eq 5 ]; then
    echo "FAIL ($label): pytest collected no tests." >&2
  fi
  return $rc
}

pg_reachable() {
  "$PY" - "$PG_URL" <<'PYEOF'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=5).close()
except Exception as exc:
    print(f"PostgreSQL unreachable at {sys.argv[1]}: {exc}", file=sys.stderr)
    sys.exit(1)
PYEOF
}

if pg_reachable; then
  pg=yes
elif [ "${CI:-}" = "true" ]; then
  echo "FAIL: PostgreSQL is not reachable at $PG_URL and CI=true." >&2
  exit 1
else
  pg=no
  echo "WARNING: PostgreSQL is not reachable; only SQLite runs (CI=true would fail here)." >&2
fi

# loadgroup: tests spread one by one, except those marked with an xdist_group, which stay on one
# worker (the modules whose costly module fixture would otherwise be built on both).
DIST=(-n "$WORKERS")
[ "$WORKERS" = 0 ] || DIST+=(--dist loadgroup)

run_pytest SQLite -u DATABASE_URL "$PY" -m pytest "${DIST[@]}" "$@"
sqlite_rc=$?

pg_rc=0
if [ $pg = yes ]; then
  run_pytest PostgreSQL DATABASE_URL="$PG_URL" "$PY" -m pytest "${DIST[@]}" "$@"
  pg_rc=$?
fi

# Quietly: the last line stays pytest's summary. Any failure (including 5, "no tests") fails the run.
[ $sqlite_rc -eq 0 ] && [ $pg_rc -eq 0 ]
