# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
# Each creates .venv and installs vaultlab into it on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench bench-analytics notebooks clean

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
	$(BIN)/ruff check vaultlab tests benchmarks scripts
	$(BIN)/lint-imports
	$(BIN)/sqlfluff lint --processes 2 vaultlab/queries vaultlab/controls/checks vaultlab/ingest/sources

# the notebooks' committed outputs, from the sample data (tests/test_notebooks_nbval.py checks them)
notebooks: $(BIN)/.installed
	$(BIN)/python scripts/refresh_notebooks.py

# every benchmark, then one table of their results (benchmarks/summary.py). A few minutes at the
# default sizes (1M lines; the report at 1M events); `make bench BIG=1` adds the 10M-line runs (~11 GB
# of disk, most of an hour). A failing script does not stop the others; the summary names it.
BENCH_SIZES = $(if $(BIG),,--lines 1000000)
bench: $(BIN)/.installed
	rm -f benchmarks/work/results-*.json
	-$(BIN)/python benchmarks/ingest.py $(BENCH_SIZES)
	-$(BIN)/python benchmarks/ingest_cloudtrail.py $(if $(BIG),,--records 200000)
	-$(BIN)/python benchmarks/ingest_gcp_azure.py --records 200000
	-$(BIN)/python benchmarks/ingest_floor.py
	-$(BIN)/python benchmarks/analytics.py $(if $(BIG),--lines 1000000 10000000,--lines 1000000)
	-$(BIN)/python benchmarks/report.py --profile
	$(BIN)/python benchmarks/summary.py

bench-analytics: $(BIN)/.installed
	$(BIN)/python benchmarks/analytics.py

clean:
	rm -rf $(VENV) reports/demo benchmarks/work
