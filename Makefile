# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
# Each creates .venv and installs vaultlab into it on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench bench-analytics clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/vaultlab demo

test: $(BIN)/.installed
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/ingest.py

bench-analytics: $(BIN)/.installed
	$(BIN)/python benchmarks/analytics.py

clean:
	rm -rf $(VENV) reports/demo benchmarks/work
