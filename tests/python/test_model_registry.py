"""The model registry on the end-to-end build: a run without a trigger keeps every registered version (no
refit, and says so), each trigger refits its family alone into a new version, and every published table
follows the version the run scored with."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

from customer_scoring.churn import ChurnVersion
from customer_scoring.clv.pipeline import ClvVersion
from customer_scoring.segments import SegmentVersion

FAMILIES = ["churn", "clv", "segments", "value"]
# Everything the decision feeds: the fits, the scores, the marts, monitoring.
FROM_THE_DECISION = ["model_retrain_decisions+"]
# Each family's fit tables, one set of rows per version (incremental): a run that keeps the version adds none.
FIT_TABLES = {
    "churn": [
        "fit_churn_model",
        "fit_churn_holdout_predictions",
        "fit_churn_model_metrics",
        "fit_churn_model_status",
        "fit_churn_feature_importance",
    ],
    "clv": ["fit_clv_model", "fit_clv_holdout_predictions", "fit_clv_model_metrics", "fit_clv_model_status"],
    "segments": ["fit_segment_model", "fit_segment_k_selection", "fit_segment_model_status"],
    "value": [
        "fit_value_forecast_model",
        "fit_value_forecast_metrics",
        "fit_value_forecast_status",
        "fit_value_forecast_surrogate_tree",
    ],
}
# Each family's published tables that show one version: the one the run scored with.
PUBLISHED = {
    "churn": ["churn_model_metrics", "churn_feature_importance", "churn_holdout_predictions", "customer_churn_risk"],
    "clv": ["clv_model_metrics"],
    "segments": [],
    "value": ["value_forecast_metrics", "value_forecast_surrogate_tree", "customer_value_forecast"],
}


def query(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def decisions(path) -> dict[str, tuple]:
    rows = query(path, "select model_family, model_version, is_refit, retrain_reason from model_retrain_decisions")
    return {family: tuple(decision) for family, *decision in rows}


def fit_table_versions(path) -> dict[str, list[tuple]]:
    return {
        table: query(path, f"select model_version, count(*) from {table} group by 1 order by 1")
        for tables in FIT_TABLES.values()
        for table in tables
    }


def build_from_the_decision(dbt, dataset, path, *args: str) -> dict[str, tuple]:
    dbt(["build", "--select", *FROM_THE_DECISION, *args], dataset["raw"], path)
    return decisions(path)


@pytest.fixture(scope="module")
def rerun(warehouse, dataset, dbt, tmp_path_factory):
    """A copy of the end-to-end build warehouse run again from the decision on, on the same data."""
    path = tmp_path_factory.mktemp("registry") / "warehouse.duckdb"
    shutil.copy(warehouse, path)
    before = fit_table_versions(path)
    build_from_the_decision(dbt, dataset, path)
    return path, before


def test_the_first_build_registers_version_one_of_each_family(warehouse):
    assert decisions(warehouse) == dict.fromkeys(FAMILIES, (1, True, "first_fit"))
    registry = query(
        warehouse, "select model_family, model_version, is_current, retrain_reason, artifact from model_registry"
    )
    assert sorted(row[:4] for row in registry) == [(family, 1, True, "first_fit") for family in FAMILIES]
    artifacts = {family: pd.DataFrame({"artifact": [artifact]}) for family, *_, artifact in registry}
    # Each version carries its family's validation metric, as its validation tables hold it.
    validated = query(
        warehouse,
        "select r.model_family, r.validation_metric_name, r.validation_metric_value = m.metric_value "
        "from model_registry as r left join churn_model_metrics as m "
        "on r.model_name = m.model_name and r.validation_metric_name = m.metric_name order by 1",
    )
    assert validated[0] == ("churn", "roc_auc", True)
    assert [row[:2] for row in validated[1:]] == [
        ("clv", "spend_r2"),
        ("segments", "silhouette"),
        ("value", "precision_at_top"),
    ]
    assert ChurnVersion.from_registry(artifacts["churn"]).classifier.threshold > 0
    assert (
        len(SegmentVersion.from_registry(artifacts["segments"]).centroids)
        == query(warehouse, "select count(distinct segment_name) from customer_segments")[0][0]
    )
    assert ClvVersion.from_registry(artifacts["clv"]).chosen in {
        row[0]
        for row in query(warehouse, "select model_name from model_status where model_family = 'clv' and is_selected")
    }


def test_a_run_without_a_trigger_keeps_the_registered_versions(rerun):
    path, before = rerun
    assert decisions(path) == dict.fromkeys(FAMILIES, (1, False, None))
    assert fit_table_versions(path) == before  # nothing refitted, nothing rewritten
    kept = query(path, "select model_age_days, new_data_share, is_drift_flagged from model_retrain_decisions")
    assert kept == [(0, 0.0, False)] * len(FAMILIES)
    logged = query(
        path, "select model_family, is_refit, retrain_reason from model_retrain_log order by run_started_at, 1"
    )
    assert logged == [(family, True, "first_fit") for family in FAMILIES] + [
        (family, False, None) for family in FAMILIES
    ]


def test_each_trigger_refits_its_family_into_a_new_version(rerun, dataset, dbt, dbt_vars, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(rerun[0], path)
    with duckdb.connect(str(path)) as con:  # the previous run's monitoring flagged churn's inputs
        con.execute("update model_monitoring set retrain_on_next_run = (model_name = 'churn')")
    kept = (1, False, None)
    others = {"segments": kept, "value": kept}
    assert build_from_the_decision(dbt, dataset, path) == {"churn": (2, True, "drift"), "clv": kept, **others}

    forced = build_from_the_decision(dbt, dataset, path, "--vars", "{retrain_models: [churn, clv]}")
    assert forced == {"churn": (3, True, "forced"), "clv": (2, True, "forced"), **others}

    fewer = f"{{churn_max_fit_rows: {dbt_vars['churn_max_fit_rows'] // 2}}}"
    changed = build_from_the_decision(dbt, dataset, path, "--vars", fewer)
    assert changed == {"churn": (4, True, "settings_changed"), "clv": (2, False, None), **others}

    floor = dbt_vars["retrain_metric_floors"]["clv"]["floor"]
    with duckdb.connect(str(path)) as con:  # as if clv's version 2 had validated below its floor
        con.execute(
            f"update model_registry set validation_metric_value = {floor} - 0.01 "
            "where model_family = 'clv' and is_current"
        )
    below = build_from_the_decision(dbt, dataset, path, "--vars", fewer)
    assert below == {"churn": (4, False, None), "clv": (3, True, "below_metric_floor"), **others}

    registry = query(
        path, "select model_family, model_version, is_current, retrain_reason from model_registry order by 1, 2"
    )
    assert registry == [
        ("churn", 1, False, "first_fit"),
        ("churn", 2, False, "drift"),
        ("churn", 3, False, "forced"),
        ("churn", 4, True, "settings_changed"),
        ("clv", 1, False, "first_fit"),
        ("clv", 2, False, "forced"),
        ("clv", 3, True, "below_metric_floor"),
        ("segments", 1, True, "first_fit"),
        ("value", 1, True, "first_fit"),
    ]
    current = {"churn": 4, "clv": 3, "segments": 1, "value": 1}
    for family, tables in FIT_TABLES.items():
        for table in tables:
            versions = [version for (version,) in query(path, f"select distinct model_version from {table} order by 1")]
            assert versions == list(range(1, current[family] + 1)), table
        for table in PUBLISHED[family]:
            assert query(path, f"select distinct model_version from {table}") == [(current[family],)], table
    # The same data and settings refit the same model, bit for bit (churn's fourth version read fewer rows).
    same = query(
        path,
        "select model_family, count(distinct (data_fingerprint, artifact)) from model_registry "
        "where model_version <= 3 group by 1 order by 1",
    )
    assert same == [("churn", 1), ("clv", 1), ("segments", 1), ("value", 1)]


def test_age_new_data_a_full_refresh_and_replaced_data_trigger_a_refit(rerun, dataset, dbt, dbt_vars, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(rerun[0], path)
    days, share = dbt_vars["retrain_max_age_days"], dbt_vars["retrain_new_data_share"]
    with duckdb.connect(str(path)) as con:  # as if churn's version 1 were fitted that long ago
        con.execute(
            f"update model_registry set as_of_date = as_of_date - interval {days} day where model_family = 'churn'"
        )
    assert build_from_the_decision(dbt, dataset, path)["churn"] == (2, True, "age")
    with duckdb.connect(str(path)) as con:  # as if the other families' version 1 had seen less data
        con.execute(
            f"update model_registry set data_rows = floor(data_rows / (1 + {share})) where model_family != 'churn'"
        )
    refit = (2, True, "new_data")
    assert build_from_the_decision(dbt, dataset, path) == {
        "churn": (2, False, None),
        "clv": refit,
        "segments": refit,
        "value": refit,
    }
    # A full refresh refits every family; the fit tables keep the versions before it.
    assert build_from_the_decision(dbt, dataset, path, "--full-refresh") == dict.fromkeys(
        FAMILIES, (3, True, "full_refresh")
    )
    assert query(path, "select count(distinct model_version) from fit_churn_model_metrics") == [(3,)]
    with duckdb.connect(str(path)) as con:  # as if churn's version 3 had seen more data than there is now
        con.execute("update model_registry set data_rows = data_rows + 1 where model_family = 'churn'")
    assert build_from_the_decision(dbt, dataset, path)["churn"] == (4, True, "data_replaced")
