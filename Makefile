# Acervo: `make run` starts the main job on the embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev,bench]'
	touch $@ $(VENV)/.installed

# The main job: the web application and the ingest workers at http://127.0.0.1:8000 (Ctrl-C stops).
# The first start creates the account `admin` (password: $DAM_ADMIN_PASSWORD, else printed once).
run: $(VENV)/.installed
	$(BIN)/dam init
	$(BIN)/dam serve

# Two processes (one per core on the reference machine), each test file kept in one of them.
TEST_PROCESSES ?= 2

test: $(VENV)/.installed-dev
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/ingest.py

clean:
	rm -rf var .pytest_cache
