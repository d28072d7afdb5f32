"""customer-scoring installed as a dbt package: a host project (tests/host_project) with its own raw tables,
named its own way, installs the package from this working tree, and `dbt build` builds every mart, equal to
the standalone build of the same data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import yaml
from conftest import PROJECT_DIR
from test_reproducibility import table_hashes

from customer_scoring.publish import published_tables

HOST_DIR = PROJECT_DIR / "tests" / "host_project"
# Each of the package's sources and tables, by the prefix of its vars, and the raw file it reads standalone.
RAW_FILES = {("crm", "customers"): "crm_customers", ("shop", "orders"): "orders", ("web", "events"): "web_events"}


def test_a_host_project_builds_the_package_on_its_own_tables(dataset, warehouse, tmp_path):
    host = tmp_path / "host"
    shutil.copytree(HOST_DIR, host)
    host_warehouse = tmp_path / "acme.duckdb"
    package_vars = yaml.safe_load((HOST_DIR / "dbt_project.yml").read_text())["vars"]["customer_scoring"]
    with duckdb.connect(str(host_warehouse)) as con:
        for (source, table_name), raw_file in RAW_FILES.items():
            schema, table = package_vars[f"{source}_schema"], package_vars[f"{source}_{table_name}_identifier"]
            con.execute(f"create schema {schema}")
            con.execute(f"create table {schema}.{table} as from read_parquet('{dataset['raw'] / raw_file}.parquet')")
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "DBT_PROFILES_DIR": str(host),
        "ACME_WAREHOUSE": str(host_warehouse),
        "CUSTOMER_SCORING_PACKAGE_DIR": str(PROJECT_DIR),
    }
    dbt = Path(sys.executable).with_name("dbt")
    for command in (["deps"], ["build"]):
        result = subprocess.run([dbt, *command], cwd=host, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-3000:]

    marts = published_tables(warehouse.parent / "target" / "manifest.json")
    standalone, hosted = table_hashes(warehouse), table_hashes(host_warehouse)
    assert {mart for mart in marts if standalone[mart] != hosted[mart]} == set()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (expected,) = con.execute(
            "select count(*) from customer_scores where is_high_value and risk_tier in ('high', 'critical')"
        ).fetchone()
    with duckdb.connect(str(host_warehouse), read_only=True) as con:
        assert con.execute("select count(*) from customers_to_call").fetchone()[0] == expected > 0
