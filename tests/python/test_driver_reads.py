"""No churn Python model reads the (customer, cutoff) features whole. On Spark the frames a Python model reads
are collected to the driver; at 1M customers the features hold ~14 M (customer, cutoff) rows, so each model
reads whole only the cutoffs it scores or tests on (at most two, one row per customer each) and samples the
rest in the warehouse down to `churn_max_fit_rows`.

Each model file runs here as dbt runs it, with a stand-in for `dbt` whose refs count the rows they hand to
Python, against the end-to-end warehouse with a cap far below its feature rows. The rows cross into Python
through customer_scoring.frames on both engines, so what is read here is what Spark's driver collects."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import PROJECT_DIR

CHURN_MODELS = sorted((PROJECT_DIR / "python_models" / "fitting" / "churn").glob("*.py"))
CUSTOMER_CUTOFF_TABLE = "churn_fit_rows"
MAX_FIT_ROWS = 1_000
WHOLE_CUTOFFS = 2
# A hash sample keeps each row with probability max_rows / window rows: its size is binomial around the cap.
SAMPLE_SLACK = 1.2


class CountedRelation:
    """A DuckDB relation that adds the rows it turns into pandas to its table's count."""

    def __init__(self, relation, table: str, rows_read: Counter) -> None:
        self.relation, self.table, self.rows_read = relation, table, rows_read

    def filter(self, condition: str) -> CountedRelation:
        return CountedRelation(self.relation.filter(condition), self.table, self.rows_read)

    def select(self, *columns: str) -> CountedRelation:
        return CountedRelation(self.relation.select(*columns), self.table, self.rows_read)

    def order(self, order_by: str) -> CountedRelation:
        return CountedRelation(self.relation.order(order_by), self.table, self.rows_read)

    def df(self):
        frame = self.relation.df()
        self.rows_read[self.table] += len(frame)
        return frame


class StandInConfig(dict):
    """`dbt.config`: called to set the materialization (ignored here), `.get` to read the rendered config."""

    def __call__(self, **settings) -> None:
        pass


class StandInDbt:
    """What a dbt Python model uses of `dbt`: refs (counted), its rendered config, and whether its table exists:
    not here, as on a first build, so that every fit reads what it fits on."""

    is_incremental = False

    def __init__(self, con, config: dict, rows_read: Counter) -> None:
        self.con, self.rows_read, self.config = con, rows_read, StandInConfig(config)

    def ref(self, name: str) -> CountedRelation:
        return CountedRelation(self.con.table(name), name, self.rows_read)


def run_model(path: Path, con, config: dict) -> Counter:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows_read = Counter()
    module.model(StandInDbt(con, config, rows_read), session=None)
    return rows_read


@pytest.mark.parametrize("path", CHURN_MODELS, ids=lambda path: path.stem)
def test_a_churn_model_reads_whole_cutoffs_and_a_capped_sample_only(path, warehouse, con):
    manifest = json.loads((warehouse.parent / "target" / "manifest.json").read_text())
    caps = {"max_fit_rows": MAX_FIT_ROWS, "importance_rows": MAX_FIT_ROWS}  # the fits' cap and the importance's
    config = {**manifest["nodes"][f"model.customer_scoring.{path.stem}"]["config"], **caps}
    ((all_rows, largest_cutoff),) = con.execute(
        "select sum(feature_rows), max(feature_rows) from churn_fit_cutoffs"
    ).fetchall()
    assert all_rows > 4 * (WHOLE_CUTOFFS * largest_cutoff + SAMPLE_SLACK * MAX_FIT_ROWS)  # a whole read would show

    rows_read = run_model(path, con, config)

    assert rows_read[CUSTOMER_CUTOFF_TABLE] <= WHOLE_CUTOFFS * largest_cutoff + SAMPLE_SLACK * MAX_FIT_ROWS
    assert "customer_churn_features" not in rows_read  # read through churn_fit_rows' filters only


def test_the_churn_models_that_fit_or_score_read_the_features():
    readers = [path.stem for path in CHURN_MODELS if f'dbt.ref("{CUSTOMER_CUTOFF_TABLE}")' in path.read_text()]
    assert len(readers) >= 5, readers
