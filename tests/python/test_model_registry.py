"""The model registry on the end-to-end build: a run without a trigger keeps the registered version (no refit,
and says so), each trigger refits into a new version, and every published churn table follows the version
the run scored with."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from customer_scoring.churn import FittedModel

# Everything the decision feeds: the fits, the scores, the marts, monitoring.
FROM_THE_DECISION = ["model_retrain_decisions+"]
# A fit table per version (incremental): a run that keeps the version adds no rows to any of them.
FIT_TABLES = [
    "fit_churn_model",
    "fit_churn_holdout_predictions",
    "fit_churn_model_metrics",
    "fit_churn_model_status",
    "fit_churn_feature_importance",
]


def query(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def decision(path) -> tuple:
    (row,) = query(path, "select model_version, is_refit, retrain_reason from model_retrain_decisions")
    return row


def versions_of_fit_tables(path) -> dict[str, list[tuple]]:
    return {
        table: query(path, f"select model_version, count(*) from {table} group by 1 order by 1") for table in FIT_TABLES
    }


@pytest.fixture(scope="module")
def rerun(warehouse, dataset, dbt, tmp_path_factory):
    """A copy of the end-to-end build warehouse run again from the decision on, on the same data."""
    path = tmp_path_factory.mktemp("registry") / "warehouse.duckdb"
    shutil.copy(warehouse, path)
    before = versions_of_fit_tables(path)
    dbt(["build", "--select", *FROM_THE_DECISION], dataset["raw"], path)
    return path, before


def test_the_first_build_registers_version_one(warehouse):
    assert decision(warehouse) == (1, True, "first_fit")
    ((version, is_current, reason, artifact),) = query(
        warehouse, "select model_version, is_current, retrain_reason, artifact from model_registry"
    )
    assert (version, is_current, reason) == (1, True, "first_fit")
    assert FittedModel.from_artifact(artifact).threshold > 0


def test_a_run_without_a_trigger_keeps_the_registered_version(rerun):
    path, before = rerun
    assert decision(path) == (1, False, None)
    assert versions_of_fit_tables(path) == before  # nothing refitted, nothing rewritten
    ((age, share, drifted),) = query(
        path, "select model_age_days, new_data_share, is_drift_flagged from model_retrain_decisions"
    )
    assert (age, share, drifted) == (0, 0.0, False)
    logged = query(path, "select is_refit, retrain_reason from model_retrain_log order by run_started_at")
    assert logged == [(True, "first_fit"), (False, None)]


def test_each_trigger_refits_into_a_new_version(rerun, dataset, dbt, dbt_vars, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(rerun[0], path)
    with duckdb.connect(str(path)) as con:  # the previous run's monitoring flagged churn's inputs
        con.execute("update model_monitoring set retrain_on_next_run = (model_name = 'churn')")
    dbt(["build", "--select", *FROM_THE_DECISION], dataset["raw"], path)
    assert decision(path) == (2, True, "drift")

    dbt(["build", "--select", *FROM_THE_DECISION, "--vars", "{retrain_models: [churn]}"], dataset["raw"], path)
    assert decision(path) == (3, True, "forced")

    fewer_rows = dbt_vars["churn_max_fit_rows"] // 2
    dbt(
        ["build", "--select", *FROM_THE_DECISION, "--vars", f"{{churn_max_fit_rows: {fewer_rows}}}"],
        dataset["raw"],
        path,
    )
    assert decision(path) == (4, True, "settings_changed")

    floor = dbt_vars["retrain_metric_floors"]["churn"]
    with duckdb.connect(str(path)) as con:  # as if version 4 had validated below its floor
        con.execute(f"update model_registry set validation_metric_value = {floor} - 0.01 where is_current")
    dbt(
        ["build", "--select", *FROM_THE_DECISION, "--vars", f"{{churn_max_fit_rows: {fewer_rows}}}"],
        dataset["raw"],
        path,
    )
    assert decision(path) == (5, True, "below_metric_floor")

    registry = query(path, "select model_version, is_current, retrain_reason from model_registry order by 1")
    assert registry == [
        (1, False, "first_fit"),
        (2, False, "drift"),
        (3, False, "forced"),
        (4, False, "settings_changed"),
        (5, True, "below_metric_floor"),
    ]
    for table in FIT_TABLES:
        assert [version for version, _ in query(path, f"select distinct model_version from {table} order by 1")] == [
            1,
            2,
            3,
            4,
            5,
        ], table
    # The published validation is the current version's; the same data and settings refit the same model,
    # bit for bit.
    for table in ("churn_model_metrics", "churn_feature_importance", "churn_holdout_predictions"):
        assert query(path, f"select distinct model_version from {table}") == [(5,)], table
    ((same,),) = query(
        path,
        "select count(distinct (data_fingerprint, artifact)) = 1 from model_registry where model_version <= 3",
    )
    assert same


def test_age_and_new_data_trigger_a_refit(rerun, dataset, dbt, dbt_vars, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(rerun[0], path)
    days, share = dbt_vars["retrain_max_age_days"], dbt_vars["retrain_new_data_share"]
    with duckdb.connect(str(path)) as con:  # as if version 1 were fitted that long ago
        con.execute(f"update model_registry set as_of_date = as_of_date - interval {days} day")
    dbt(["build", "--select", *FROM_THE_DECISION], dataset["raw"], path)
    assert decision(path) == (2, True, "age")
    with duckdb.connect(str(path)) as con:  # as if version 2 had seen less data than there is now
        con.execute(f"update model_registry set data_rows = floor(data_rows / (1 + {share})) where is_current")
    dbt(["build", "--select", *FROM_THE_DECISION], dataset["raw"], path)
    assert decision(path) == (3, True, "new_data")
