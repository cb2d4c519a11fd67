#!/usr/bin/env bash
# The benchmark (issue 7): SQLite and PostgreSQL, 1,000,000 sessions (QUICK=1: 50,000), then
# docs/benchmarks.md and docs/benchmarks.json. Extra arguments go to bench/run.py
# (e.g. --databases sqlite, --snapshot, --reuse); `python -m bench.run --help` lists them.
# PEERS=1: also django-scheduler and django-appointment on the same sessions (bench/peers/, their
# own virtualenv under var/bench/peers-venv, installed from PyPI on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python
args=()
if [ -n "${QUICK:-}" ] && [ "${QUICK}" != "0" ]; then
  args+=(--quick)
fi
if [ -n "${PEERS:-}" ] && [ "${PEERS}" != "0" ]; then
  args+=(--peers)
fi
if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk (Debian) for the HTTP load" >&2
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
exec "$PY" -m bench.run "${args[@]}" "$@"
