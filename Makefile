# Two entry points: `make run` (the app) and `make test` (the whole suite).
# Both create .venv, install the pinned requirements, fetch map assets and build the store if missing.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
OPPMAP_CACHE ?= data/cache
export OPPMAP_CACHE

.PHONY: run test setup venv assets store lint bench clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is needed: install python3.11 (or set PY=/path/to/python3.11)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

assets: venv
	$(BIN)/python -m geo assets

store: venv
	$(BIN)/python -m geo data build

setup: venv assets store

run: setup
	$(BIN)/streamlit run app.py --server.address localhost --server.port $${PORT:-8501} --server.headless true

test: setup lint
	bash scripts/install_browser.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check geo boundaries app.py pages tests bench scripts
	$(BIN)/mypy geo boundaries

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data/cache static/vendor
