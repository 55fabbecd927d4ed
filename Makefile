# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
# Each creates .venv and installs vaultlab into it on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench bench-analytics clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,spark]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/vaultlab demo

test: $(BIN)/.installed lint
	$(BIN)/python -m pytest

# the guard rails: lint and import order, the import contract, SQL that parses as DuckDB SQL
lint: $(BIN)/.installed
	$(BIN)/ruff check vaultlab tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/sqlfluff lint --processes 2 vaultlab/queries vaultlab/controls/checks vaultlab/ingest/sources

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/ingest.py

bench-analytics: $(BIN)/.installed
	$(BIN)/python benchmarks/analytics.py

clean:
	rm -rf $(VENV) reports/demo benchmarks/work
