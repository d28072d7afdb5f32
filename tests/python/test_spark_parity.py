"""The same project on Apache Spark: `dbt build --target spark` on a real local standalone cluster (master and
worker started by `make spark-start`) from the end-to-end dataset, then every published table compared with
DuckDB's build of the same raw data: same columns, same rows, the same values (floating point within 1e-9
relative). The Python models fit on both engines from the same frames (frames.sorted_frame), so their scores
match as the SQL marts do."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import jinja2
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import PROJECT_DIR, relative_paths
from test_reproducibility import RUN_COLUMNS

from customer_scoring.frames import frame
from customer_scoring.publish import published_tables

pytestmark = pytest.mark.spark
RELATIVE_TOLERANCE = 1e-9
# Raw values kept as text for the quarantine: a raw file's double becomes text in each engine's own notation.
NUMBER_TEXT_COLUMNS = {"raw_amount"}
# A fit written as JSON (the model registry's artifacts): its numbers are floats like any other.
JSON_COLUMNS = {"artifact"}
# A hash of the bytes of the rows a fit read (the registry's data fingerprint): floats that agree within the
# tolerance hash apart, so it is compared within an engine (rebuild identity), not across them.
BYTE_HASH_COLUMNS = {"data_fingerprint"}


def make(target: str, env: dict) -> None:
    subprocess.run(["make", "--no-print-directory", target], cwd=PROJECT_DIR, env=env, check=True)


@pytest.fixture(scope="module")
def spark_env(tmp_path_factory):
    """The local standalone cluster, its warehouse and metastore in a fresh directory, for the module's tests."""
    env = {**os.environ, "CUSTOMER_SCORING_SPARK_DIR": str(tmp_path_factory.mktemp("spark"))}
    make("spark-start", env)
    yield env
    make("spark-stop", env)


@pytest.fixture(scope="module")
def raw_listing_before_spark(dataset) -> list[str]:
    return relative_paths(dataset["raw"])


@pytest.fixture(scope="module")
def spark_build(dbt, dataset, spark_env, raw_listing_before_spark) -> Path:
    """`dbt build --target spark` of the end-to-end dataset (models, seeds, snapshot, every test), then the
    incremental models of staging, intermediate and the marts run again, as the next day's run would (their merges
    and pre-hook deletes on Delta; the feature marts recompute the as-of cutoff): its target dir."""
    build = Path(spark_env["CUSTOMER_SCORING_SPARK_DIR"]) / "build"
    # The spark target ignores the DuckDB path run_dbt passes; dbt's target dir goes beside it.
    dbt(["build", "--target", "spark"], dataset["raw"], build / "unused.duckdb", env=spark_env)
    layers = [f"config.materialized:incremental,path:models/{layer}" for layer in ("staging", "intermediate", "marts")]
    rerun = ["run", "--target", "spark", "--select", *layers]
    dbt(rerun, dataset["raw"], build / "unused.duckdb", env=spark_env)
    return build / "target"


@pytest.fixture(scope="module")
def spark(spark_build, spark_env):
    """A Spark session on the build's metastore, configured as the profile's spark target (Derby allows one
    process at a time: dbt has finished by now)."""
    from pyspark.sql import SparkSession

    rendered = jinja2.Template((PROJECT_DIR / "profiles.yml").read_text()).render(
        env_var=lambda name, default=None: spark_env.get(name, default)
    )
    settings = yaml.safe_load(rendered)["customer_scoring"]["outputs"]["spark"]["server_side_parameters"]
    settings["spark.master"] = "local[2]"  # reading back needs no executors of the cluster
    settings["spark.jars"] = ",".join(str(PROJECT_DIR / jar) for jar in settings["spark.jars"].split(","))
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in settings.items():
        builder = builder.config(key, str(value))
    session = builder.getOrCreate()
    yield session
    session.stop()


def sorted_by_every_column(table: pd.DataFrame) -> pd.DataFrame:
    """Rows in one order on both engines: exact columns first, floating-point ones (equal only within the
    tolerance) last, so that near-equal floats never decide the order of rows."""
    exact = [column for column in table.columns if not pd.api.types.is_float_dtype(table[column])]
    floats = [column for column in table.columns if column not in exact]
    return table.sort_values(exact + floats, ignore_index=True, kind="stable")


def as_number(text) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def same_number_text(duck, spark) -> bool:
    """The same text, or the same number spelled in each engine's way (a raw double's text: DuckDB's 'nan',
    'inf', '1e+30' are Spark's 'NaN', 'Infinity', '1.0E30')."""
    a, b = as_number(duck), as_number(spark)
    return duck == spark or (a is not None and b is not None and (a == b or (np.isnan(a) and np.isnan(b))))


def same_json(duck, spark) -> bool:
    """The same JSON value, numbers within the relative tolerance; a string holding JSON (XGBoost's booster
    inside an artifact) or a number (XGBoost writes some as strings) is compared as what it holds."""
    if isinstance(duck, str) and isinstance(spark, str):
        if duck == spark:
            return True
        a, b = as_number(duck), as_number(spark)
        if a is not None and b is not None:
            return same_json(a, b)
        try:
            return same_json(json.loads(duck), json.loads(spark))
        except ValueError:
            return False
    if isinstance(duck, dict) and isinstance(spark, dict):
        return duck.keys() == spark.keys() and all(same_json(duck[key], spark[key]) for key in duck)
    if isinstance(duck, list) and isinstance(spark, list):
        return len(duck) == len(spark) and all(same_json(a, b) for a, b in zip(duck, spark, strict=True))
    if isinstance(duck, float | int) and isinstance(spark, float | int) and not isinstance(duck, bool):
        return bool(np.isclose(duck, spark, rtol=RELATIVE_TOLERANCE, atol=0))
    return duck == spark


def differing_rows(duck: pd.Series, spark: pd.Series) -> np.ndarray:
    """Which rows differ: floats beyond the relative tolerance (NaN equal to NaN), the raw text of a number
    by the number it spells, a JSON artifact by its values, anything else at all."""
    if pd.api.types.is_float_dtype(duck):
        a, b = duck.to_numpy(dtype=float), spark.to_numpy(dtype=float)
        return ~(np.isclose(a, b, rtol=RELATIVE_TOLERANCE, atol=0) | (np.isnan(a) & np.isnan(b)))
    if duck.name in NUMBER_TEXT_COLUMNS:
        return np.array([not same_number_text(a, b) for a, b in zip(duck, spark, strict=True)])
    if duck.name in JSON_COLUMNS:
        return np.array([not same_json(a, b) for a, b in zip(duck, spark, strict=True)])
    return (duck.astype(str) != spark.astype(str)).to_numpy()


def test_every_published_table_on_spark_equals_duckdb(warehouse, spark_build, spark):
    tables = published_tables(spark_build / "manifest.json")
    assert tables == published_tables(warehouse.parent / "target" / "manifest.json")
    unequal = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in tables:
            duck = frame(con.table(table))
            on_spark = frame(spark.table(f"customer_scoring.{table}"))
            run_columns = [c for c in duck.columns if c in RUN_COLUMNS | BYTE_HASH_COLUMNS or c.startswith("dbt_")]
            duck, on_spark = duck.drop(columns=run_columns), on_spark.drop(columns=run_columns, errors="ignore")
            assert list(on_spark.columns) == list(duck.columns), table
            assert len(on_spark) == len(duck), table
            duck, on_spark = sorted_by_every_column(duck), sorted_by_every_column(on_spark)
            for column in duck.columns:
                rows = differing_rows(duck[column], on_spark[column])
                if rows.any():
                    first = duck[column][rows].iloc[0], on_spark[column][rows].iloc[0]
                    unequal[f"{table}.{column}"] = f"{rows.sum()} rows, first duckdb {first[0]!r} spark {first[1]!r}"
    assert unequal == {}


def test_a_spark_build_leaves_the_raw_directory_as_it_was(dataset, spark_build, raw_listing_before_spark):
    assert relative_paths(dataset["raw"]) == raw_listing_before_spark
