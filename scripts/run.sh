#!/usr/bin/env bash
# `make run`: the development web server and the background task worker (reminders, overdue
# payments, exports, …) side by side; Ctrl-C stops both. HOST/PORT pick the address, VENV the venv.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

"$PY" manage.py db_worker &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT INT TERM

echo ""
echo "  Atendo is running at http://$HOST:$PORT/ (the task worker too, pid $worker)"
echo "  Log in with owner@example.com / atendo-demo"
echo "  (also therapist@example.com and assistant@example.com, same password)"
echo "  API docs: http://$HOST:$PORT/api/v1/docs"
echo ""
"$PY" manage.py runserver "$HOST:$PORT"
