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

.PHONY: build test install lock data browser redis lint unit report api consume clean spark-install spark-start spark-stop \
	airflow-install airflow-lock

# The engine `make build` runs on: duckdb (the embedded default) or spark (the local standalone cluster).
ENGINE ?= duckdb

ifeq ($(ENGINE),spark)
# dbt build (models and every test) on the cluster, started for the build and stopped after it, failed or not.
build: spark-install data
	$(MAKE) --no-print-directory spark-start
	$(BIN)/dbt build --target spark; status=$$?; $(MAKE) --no-print-directory spark-stop; exit $$status
else
# Write-audit-publish: dbt build (models and every test) into the build warehouse, then publish.
build: install data
	$(BIN)/customer-scoring build
endif

# The Spark install comes first: the DuckDB <-> Spark parity test builds on a local cluster; the Airflow venv
# for the DAG test.
test: install spark-install airflow-install browser redis lint unit

install: $(VENV)/.installed

# The package with every extra (named here, hence the Makefile prerequisite), each dependency at the version
# constraints.txt pins.
$(VENV)/.installed: pyproject.toml constraints.txt Makefile
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[api,report,metrics,bi,dev]'
	touch $@

# Pins the newest versions pyproject.toml allows: resolved in a scratch venv, frozen into constraints.txt
# under its comment header.
lock:
	set -e; scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	$(PYTHON) -m venv $$scratch; \
	$$scratch/bin/pip install --quiet --upgrade pip; \
	$$scratch/bin/pip install --quiet -e '.[api,report,metrics,bi,dev]'; \
	{ grep '^#' constraints.txt; $$scratch/bin/pip freeze --exclude-editable; } > $$scratch/constraints.txt; \
	mv $$scratch/constraints.txt constraints.txt

# Generates the default synthetic dataset unless raw data is already there (your own, or an earlier run).
data: install
	test -f $(CUSTOMER_SCORING_RAW_DIR)/orders.parquet || \
		$(BIN)/customer-scoring generate --customers $(CUSTOMERS) --seed $(SEED) \
			--out $(CUSTOMER_SCORING_RAW_DIR) --truth $(CUSTOMER_SCORING_TRUTH_DIR)

# Debian's Chromium, for the report's render test (installs as root, as CI runs).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium)

# Debian's Redis server, for the Redis Streams consumer's tests, which start their own on loopback.
redis:
	command -v redis-server >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server)

# The static HTML report of the published warehouse: reports/customer_scores.html.
report: install
	$(BIN)/customer-scoring report

# The scoring API on http://127.0.0.1:8000 (docs at /docs); needs CUSTOMER_SCORING_API_KEYS=key1[,key2], and
# CUSTOMER_SCORING_INGEST_KEYS for POST /orders and /events.
api: install
	$(BIN)/customer-scoring api

# Orders and events from Redis Streams into the live logs (CUSTOMER_SCORING_REDIS_URL, default the local server).
consume: install
	$(BIN)/customer-scoring consume

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# The dbt templater compiles the project; an in-memory warehouse keeps lint free of any data.
	CUSTOMER_SCORING_WAREHOUSE=:memory: $(BIN)/sqlfluff lint models tests/dbt analyses

# Every pytest test, on two workers (pytest-xdist), a test file on one worker at a time, in the order conftest.py
# collects them: the longest first, one on each worker.
unit: install airflow-install
	$(BIN)/pytest --numprocesses 2 --dist loadfile --no-loadscope-reorder

clean:
	rm -rf target logs data reports

# Apache Airflow and astronomer-cosmos (orchestration/dags) in a virtualenv of their own: Airflow pins its own
# dependencies. Cached outside the checkout under a name made of the pins and the Python version, so that reruns
# and fresh clones on one machine skip the install (the name changes with the pins, not a file's date); the DAG
# test finds it through CUSTOMER_SCORING_AIRFLOW_VENV.
AIRFLOW_VENV := $(or $(AIRFLOW_VENV),$(HOME)/.cache/customer-scoring/airflow-$(shell \
	{ cat requirements-airflow.txt; $(PYTHON) --version; } | sha1sum | cut -c1-12))
export CUSTOMER_SCORING_AIRFLOW_VENV := $(AIRFLOW_VENV)

airflow-install: $(AIRFLOW_VENV)/.installed

# What requirements-airflow.txt freezes; `make airflow-lock` resolves it afresh in a scratch venv.
AIRFLOW_PACKAGES := apache-airflow==3.3.2 astronomer-cosmos==1.15.1

airflow-lock:
	set -e; scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	$(PYTHON) -m venv $$scratch; \
	$$scratch/bin/pip install --quiet --upgrade pip; \
	$$scratch/bin/pip install --quiet $(AIRFLOW_PACKAGES); \
	{ grep '^#' requirements-airflow.txt; $$scratch/bin/pip freeze; } > $$scratch/requirements.txt; \
	mv $$scratch/requirements.txt requirements-airflow.txt

$(AIRFLOW_VENV)/.installed: | requirements-airflow.txt
	rm -rf $(AIRFLOW_VENV)
	$(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/pip install --quiet --upgrade pip
	$(AIRFLOW_VENV)/bin/pip install --quiet -r requirements-airflow.txt
	touch $@

# Apache Spark: the same project on a local standalone cluster (`dbt build --target spark`, profiles.yml).
# Delta Lake release built for the Spark minor version requirements-spark.txt pins (Delta 4.0.x: Spark 4.0.x).
DELTA_VERSION := 4.0.1
# Delta's jars (the delta-spark wheel holds none), beside pyspark in the venv; profiles.yml lists them.
SPARK_JARS := $(VENV)/spark-jars
# The cluster's pid files, logs and executor work dirs; the spark target's warehouse and metastore sit beside.
export CUSTOMER_SCORING_SPARK_DIR ?= data/spark
SPARK_CLUSTER := $(CUSTOMER_SCORING_SPARK_DIR)/cluster
# Small enough to share the machine: master and worker daemons, and what the worker lends its executor.
SPARK_DAEMON_MEMORY := 512m
SPARK_WORKER_MEMORY := 2g
SPARK_WORKER_CORES := 2
# pyspark's own Spark; its pip package has no start-master.sh / start-worker.sh, only the daemon script they call.
spark_home = $(shell $(BIN)/python -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
spark_daemon = SPARK_HOME=$(spark_home) SPARK_PID_DIR=$(SPARK_CLUSTER) SPARK_LOG_DIR=$(SPARK_CLUSTER)/logs \
	SPARK_LOCAL_IP=127.0.0.1 SPARK_DAEMON_MEMORY=$(SPARK_DAEMON_MEMORY) bash $(spark_home)/sbin/spark-daemon.sh

spark-install: $(VENV)/.spark-installed $(SPARK_JARS)/.fetched

$(VENV)/.spark-installed: $(VENV)/.installed requirements-spark.txt constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -r requirements-spark.txt
	touch $@

# Versionless file names, so the version lives here only.
$(SPARK_JARS)/.fetched: Makefile
	command -v mvn >/dev/null && command -v java >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends maven openjdk-17-jre-headless)
	for artifact in io.delta:delta-spark_2.13:$(DELTA_VERSION) io.delta:delta-storage:$(DELTA_VERSION); do \
		mvn --quiet --batch-mode dependency:copy -Dartifact=$$artifact -DoutputDirectory=$(SPARK_JARS) \
			-Dmdep.stripVersion=true || exit 1; \
	done
	touch $@

# Master and one worker, listening on 127.0.0.1 only (master at spark://127.0.0.1:7077, web UI on :8080).
spark-start: spark-install
	mkdir -p $(SPARK_CLUSTER)
	$(spark_daemon) start org.apache.spark.deploy.master.Master 1 --host 127.0.0.1 --port 7077 --webui-port 8080
	$(spark_daemon) start org.apache.spark.deploy.worker.Worker 1 --host 127.0.0.1 --webui-port 8081 \
		--cores $(SPARK_WORKER_CORES) --memory $(SPARK_WORKER_MEMORY) --work-dir $(SPARK_CLUSTER)/work \
		spark://127.0.0.1:7077

spark-stop:
	$(spark_daemon) stop org.apache.spark.deploy.worker.Worker 1
	$(spark_daemon) stop org.apache.spark.deploy.master.Master 1
