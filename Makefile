# newsdedup — everything a fresh machine with Python 3.11 and make needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-test

.PHONY: run test lint bench clean constraints

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# dependency versions pinned to those the tests were run with (constraints.txt)
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed  ## print the merged timeline of samples/, then write its HTML report
	$(BIN)/newsdedup timeline samples/
	$(BIN)/newsdedup timeline -q -f html -o samples-report.html samples/
	@echo "HTML report of samples/: $(CURDIR)/samples-report.html"

test: $(STAMP)  ## the whole suite (lint, types, unit, CLI, quality gate)
	$(BIN)/ruff check newsdedup tests benchmarks scripts
	$(BIN)/mypy  # --strict over newsdedup/ (pyproject.toml [tool.mypy])
	$(BIN)/python -m pytest -q -n auto --dist loadfile  # a worker per core, a test file per worker

lint: $(STAMP)
	$(BIN)/ruff check newsdedup tests benchmarks scripts
	$(BIN)/ruff format --check newsdedup tests benchmarks scripts
	$(BIN)/mypy

bench: $(STAMP)  ## speed/memory benchmark against the reference datasketch pipeline
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/index_insert.py
	$(BIN)/python benchmarks/incremental.py

constraints: $(STAMP)  ## re-pin constraints.txt to the versions in .venv (after make test passes)
	{ sed -n '1,2p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable | grep -iv '^newsdedup'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
