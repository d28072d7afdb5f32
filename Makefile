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
export CUSTOMER_SCORING_WAREHOUSE ?= data/warehouse.duckdb
export CUSTOMER_SCORING_TRUTH_DIR ?= data/truth

.PHONY: build test install data dbt-build lint unit clean

build: install data dbt-build
	$(BIN)/python -m customer_scoring.summary

test: install lint unit

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# Generates the default synthetic dataset unless raw data is already there (your own, or an earlier run).
data: install
	test -f $(CUSTOMER_SCORING_RAW_DIR)/orders.parquet || \
		$(BIN)/python -m customer_scoring.generate --customers $(CUSTOMERS) --seed $(SEED) \
			--out $(CUSTOMER_SCORING_RAW_DIR) --truth $(CUSTOMER_SCORING_TRUTH_DIR)

dbt-build: install
	mkdir -p $(dir $(CUSTOMER_SCORING_WAREHOUSE))
	$(BIN)/dbt build

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# The dbt templater compiles the project; an in-memory warehouse keeps lint free of any data.
	CUSTOMER_SCORING_WAREHOUSE=:memory: $(BIN)/sqlfluff lint models tests/dbt

# Unit tests, then the end-to-end dbt build on a small generated dataset (tests/python/test_end_to_end.py).
unit: install
	$(BIN)/pytest

clean:
	rm -rf target logs data
