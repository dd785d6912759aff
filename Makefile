# newsdedup — everything a fresh machine with Python 3.11 and make needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-test

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed  ## print the merged timeline of samples/
	$(BIN)/newsdedup timeline --glob "!README.md" samples/

test: $(STAMP)  ## the whole suite (lint, unit, CLI, quality gate)
	$(BIN)/ruff check newsdedup tests benchmarks
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check newsdedup tests benchmarks
	$(BIN)/ruff format --check newsdedup tests benchmarks

bench: $(STAMP)  ## speed/memory benchmark against the reference datasketch pipeline
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/index_insert.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
