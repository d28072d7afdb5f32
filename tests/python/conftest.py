"""Shared fixtures: a small generated dataset and a warehouse built from it by `dbt build`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import redis
import yaml

from customer_scoring.generate import GeneratorConfig, generate
from customer_scoring.publish import one_row_per_customer, publish, published_tables

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Columns that describe the run, not the data: they differ between two runs (or a run and a full refresh) by design.
RUN_COLUMNS = frozenset(
    {"invocation_id", "published_at", "run_started_at", "reference_run_started_at", "loaded_at", "validated_at"}
)
E2E_CUSTOMERS = 5000


# A test using any of these runs dbt, reads what a dbt build wrote, or needs the Redis server or Airflow (pytest
# lists fixtures transitively).
E2E_FIXTURES = {"dbt", "warehouse", "published", "con", "redis_url", "airflow"}


# The longest test files (the Spark build, the DAG run: a third of all the tests' time each) come first, so that
# `make test`'s two workers start one each and the other files fill in beside them instead of after them.
LONGEST_FILES = ["test_spark_parity.py", "test_airflow_dag.py"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_FIXTURES.intersection(item.fixturenames):
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: item.path.name not in LONGEST_FILES)  # stable: the rest keep their order


def relative_paths(directory: Path) -> list[str]:
    """Every file and folder under `directory`, as sorted paths relative to it."""
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*"))


def run_dbt(
    args: list[str], raw_dir: Path, warehouse: Path, check: bool = True, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run dbt from the project directory against the given raw data and warehouse (its target dir beside it);
    with check, fail with its log unless it succeeds. `env` replaces os.environ as the base environment."""
    env = {
        **(os.environ if env is None else env),
        "DO_NOT_TRACK": "1",
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "CUSTOMER_SCORING_RAW_DIR": str(raw_dir),
        "CUSTOMER_SCORING_WAREHOUSE": str(warehouse),
    }
    dbt = Path(sys.executable).with_name("dbt")
    target = warehouse.parent / "target"
    result = subprocess.run(
        [str(dbt), *args, "--target-path", str(target), "--log-path", str(target / "logs")],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert not check or result.returncode == 0, (
        f"dbt {' '.join(args)} failed:\n{result.stdout[-8000:]}\n{result.stderr[-4000:]}"
    )
    return result


@pytest.fixture(scope="session")
def dbt():
    """Run dbt against given raw data and warehouse: `dbt(args, raw_dir, warehouse)`."""
    return run_dbt


@pytest.fixture(scope="session")
def dataset(tmp_path_factory) -> dict:
    """A generated dataset with bad rows: paths and the generator's manifest."""
    root = tmp_path_factory.mktemp("e2e")
    cfg = GeneratorConfig(customers=E2E_CUSTOMERS, seed=7)
    manifest = generate(cfg, root / "raw", root / "truth")
    return {"root": root, "raw": root / "raw", "truth": root / "truth", "manifest": manifest}


@pytest.fixture(scope="session")
def warehouse(dataset) -> Path:
    """`dbt build` (models, seeds, every data and unit test) on the generated dataset."""
    path = dataset["root"] / "warehouse.duckdb"
    run_dbt(["build"], dataset["raw"], path)
    return path


@pytest.fixture(scope="session")
def published(warehouse, tmp_path_factory) -> Path:
    """The end-to-end warehouse's marts published as `make build` publishes them."""
    path = tmp_path_factory.mktemp("published") / "warehouse.duckdb"
    manifest = warehouse.parent / "target" / "manifest.json"
    publish(warehouse, path, published_tables(manifest), "e2e", one_row_per_customer(manifest))
    return path


@pytest.fixture(scope="session")
def dbt_vars() -> dict:
    """The project's vars as dbt_project.yml sets them: tests read tunables here instead of repeating them."""
    return yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


@pytest.fixture
def con(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        yield connection


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A Redis server of its own on a free loopback port, in memory only (`make test` installs Debian's)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
