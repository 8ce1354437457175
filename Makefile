# The README's two commands. Each bootstraps .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[tf,aws,dev]'
	# MovieLens 100K for the ncf-movielens-train workload: only the data file RecBole's wheel ships is read.
	$(BIN)/pip install --quiet --no-deps 'recbole==1.2.1'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/advisor serve --bootstrap

test: $(STAMP)
	$(BIN)/python -m pytest -q tests

bench: $(STAMP)
	$(BIN)/python benchmarks/api_load.py

clean:
	rm -rf $(VENV) .pytest_cache
