#!/usr/bin/env bash
# Production start: the steps a deploy must not skip, then the web server.
# Needs the production environment (ATENDO_PRODUCTION=1, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, …).
# Started without collectstatic, every page would answer 500 (the static manifest is missing), so
# this script always collects, migrates, runs the deployment checks (atendo.E001 among them) and
# only then execs gunicorn. Arguments go to gunicorn (e.g. --workers 8); PYTHON picks the interpreter,
# BIND the address (0.0.0.0:8000).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

"$PY" manage.py collectstatic --noinput -v 0
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py check --deploy
exec "$PY" -m gunicorn atendo.wsgi --bind "${BIND:-0.0.0.0:8000}" --workers "${WEB_CONCURRENCY:-4}" "$@"
