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

# Until the web UI exists, the main job ingests the sample photos and prints the catalog summary.
run: $(VENV)/.installed
	$(BIN)/dam init
	$(BIN)/dam ingest tests/fixtures/photos --recursive --process --exclude "*.md" \
		--event "Muestra del acervo" --area "Dirección de Comunicación Social" \
		--photographer "Equipo de Comunicación Social"
	$(BIN)/dam status

test: $(VENV)/.installed-dev
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/ingest.py

clean:
	rm -rf var .pytest_cache
