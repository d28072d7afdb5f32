# The README's two commands: `make build` (the main job) and `make test` (every check).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CUSTOMERS ?= 10000
SEED ?= 42

export DO_NOT_TRACK := 1
export DBT_PROFILES_DIR := $(CURDIR)
export CUSTOMER_SCORING_RAW_DIR ?= data/raw
# dbt builds into the build warehouse; BI tools and the API read the published one.
export CUSTOMER_SCORING_WAREHOUSE ?= data/build.duckdb
export CUSTOMER_SCORING_PUBLISHED ?= data/warehouse.duckdb
export CUSTOMER_SCORING_TRUTH_DIR ?= data/truth

.PHONY: build test install lock data browser lint unit report api clean

# Write-audit-publish: dbt build (models and every test) into the build warehouse, then publish.
build: install data
	$(BIN)/python -m customer_scoring.publish

test: install browser lint unit

install: $(VENV)/.installed

# The package with every extra (named here, hence the Makefile prerequisite), each dependency at the version
# constraints.txt pins.
$(VENV)/.installed: pyproject.toml constraints.txt Makefile
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[api,report,dev]'
	touch $@

# Pins the newest versions pyproject.toml allows: resolved in a scratch venv, frozen into constraints.txt
# under its comment header.
lock:
	set -e; scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	$(PYTHON) -m venv $$scratch; \
	$$scratch/bin/pip install --quiet --upgrade pip; \
	$$scratch/bin/pip install --quiet -e '.[api,report,dev]'; \
	{ grep '^#' constraints.txt; $$scratch/bin/pip freeze --exclude-editable; } > $$scratch/constraints.txt; \
	mv $$scratch/constraints.txt constraints.txt

# Generates the default synthetic dataset unless raw data is already there (your own, or an earlier run).
data: install
	test -f $(CUSTOMER_SCORING_RAW_DIR)/orders.parquet || \
		$(BIN)/python -m customer_scoring.generate --customers $(CUSTOMERS) --seed $(SEED) \
			--out $(CUSTOMER_SCORING_RAW_DIR) --truth $(CUSTOMER_SCORING_TRUTH_DIR)

# Debian's Chromium, for the report's render test (installs as root, as CI runs).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium)

# The static HTML report of the published warehouse: reports/customer_scores.html.
report: install
	$(BIN)/python -m customer_scoring.report

# The scoring API on http://127.0.0.1:8000 (docs at /docs); needs CUSTOMER_SCORING_API_KEYS=key1[,key2].
api: install
	$(BIN)/uvicorn --factory customer_scoring.api:create_app_from_env --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# The dbt templater compiles the project; an in-memory warehouse keeps lint free of any data.
	CUSTOMER_SCORING_WAREHOUSE=:memory: $(BIN)/sqlfluff lint models tests/dbt analyses

# Unit tests, then the end-to-end dbt build on a small generated dataset (tests/python/test_end_to_end.py).
unit: install
	$(BIN)/pytest

clean:
	rm -rf target logs data reports
