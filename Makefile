# Atendo — two commands on a fresh clone: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench install deps-dev frontend browser sysdeps messages migrate demo format clean

$(VENV)/.installed: pyproject.toml | sysdeps
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json | sysdeps
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed
deps-dev: $(VENV)/.installed-dev node_modules/.installed

# What a bare Debian machine may lack: venv support and npm are needed; GNU gettext is optional
# (without it, the compiled .mo files committed with the .po are used). Installed from Debian when
# running as root; otherwise the missing packages are named.
sysdeps:
	@missing=""; \
	python3 -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	optional=""; command -v msgfmt >/dev/null || optional="gettext"; \
	if [ -n "$$missing$$optional" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing from Debian:$$missing $$optional"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing $$optional >/dev/null \
	    || [ -z "$$missing" ]; \
	elif [ -n "$$missing" ]; then \
	  echo "Please install:$$missing (Debian: sudo apt-get install$$missing)" >&2; exit 1; \
	fi

# Debian's Chromium for the browser tests; never a browser download.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Translations: compiled with GNU gettext when present; otherwise the committed .mo files are used
# (a test checks they match the .po).
messages: install
	@if command -v msgfmt >/dev/null; then \
	  $(PY) manage.py compilemessages -v 0 --ignore=.venv --ignore=node_modules --ignore=var; \
	else \
	  echo "GNU gettext not found: using the committed translations (.mo)."; \
	fi

migrate: install messages
	mkdir -p var
	$(PY) manage.py migrate --noinput -v 0

demo: migrate
	$(PY) manage.py seed_demo

run: demo
	VENV=$(VENV) HOST=$(HOST) PORT=$(PORT) bash scripts/run.sh

lint: deps-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy atendo
	$(VENV)/bin/lint-imports

format: deps-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: deps-dev messages browser
	$(MAKE) --no-print-directory lint
	bash scripts/test.sh $(ARGS)

bench: deps-dev
	QUICK=$(QUICK) PEERS=$(PEERS) bash scripts/bench.sh $(ARGS)

clean:
	rm -rf $(VENV) node_modules var
