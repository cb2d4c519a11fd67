#!/usr/bin/env bash
# Runs the whole suite on SQLite, then again on PostgreSQL.
# PostgreSQL: $TEST_DATABASE_URL, or postgres://postgres@127.0.0.1:5432/postgres.
# With CI=true an unreachable PostgreSQL fails the run instead of being skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python
PG_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}

echo "== SQLite =="
env -u DATABASE_URL "$PY" -m pytest "$@"
sqlite_rc=$?

if "$PY" - "$PG_URL" <<'PYEOF'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=5).close()
except Exception as exc:
    print(f"PostgreSQL unreachable: {exc}", file=sys.stderr)
    sys.exit(1)
PYEOF
then
  echo "== PostgreSQL =="
  DATABASE_URL="$PG_URL" "$PY" -m pytest "$@"
  pg_rc=$?
else
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL: PostgreSQL is not reachable at $PG_URL and CI=true" >&2
    exit 1
  fi
  echo "WARNING: PostgreSQL not reachable; the PostgreSQL run was SKIPPED." >&2
  pg_rc=0
fi

[ $sqlite_rc -eq 0 ] && [ $pg_rc -eq 0 ]
