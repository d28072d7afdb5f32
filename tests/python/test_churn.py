"""Churn on generated data: no leakage, XGBoost beats its baselines out of time, explanations add up."""

from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import xgboost as xgb

from customer_scoring.churn import ChurnVersion
from customer_scoring.frames import sorted_frame

LEAKAGE_CUTOFF = "2025-06-30"


@pytest.fixture
def metrics(con) -> pd.DataFrame:
    frame = con.execute("select model_name, metric_name, metric_value from churn_model_metrics").df()
    return frame.pivot_table(index="metric_name", columns="model_name", values="metric_value", aggfunc="first")


def test_features_ignore_everything_after_their_cutoff(dbt, con, dataset, tmp_path):
    """Rewrite the future (drop later events, inflate and drop later orders): features at the cutoff stay."""
    raw = tmp_path / "raw"
    shutil.copytree(dataset["raw"], raw)
    later = f"{LEAKAGE_CUTOFF} 23:59:59"
    orders = pq.read_table(raw / "orders.parquet")
    is_later = pc.fill_null(pc.greater(orders["order_ts"], later), False)
    every_other = pc.equal(pc.bit_wise_and(pc.utf8_length(pc.fill_null(orders["order_id"], "")), 1), 0)
    orders = orders.filter(pc.or_(pc.invert(is_later), every_other))
    is_later = pc.fill_null(pc.greater(orders["order_ts"], later), False)
    orders = orders.set_column(3, "amount", pc.if_else(is_later, pc.multiply(orders["amount"], 10.0), orders["amount"]))
    pq.write_table(orders, raw / "orders.parquet")
    events = pq.read_table(raw / "web_events.parquet")
    pq.write_table(
        events.filter(pc.fill_null(pc.less_equal(events["event_ts"], later), True)), raw / "web_events.parquet"
    )

    rewritten = tmp_path / "warehouse.duckdb"
    dbt(["run", "--select", "+customer_churn_features", "--vars", "{as_of_date: '2025-12-31'}"], raw, rewritten)
    query = (
        "select * exclude (churned, days_to_churn, churn_observed, validated_at) from customer_churn_features "
        f"where cutoff_date = '{LEAKAGE_CUTOFF}' order by 1"
    )
    original = con.execute(query).df()
    with duckdb.connect(str(rewritten), read_only=True) as other:
        after = other.execute(query).df()
    assert len(original) > 100
    pd.testing.assert_frame_equal(original, after)


def test_xgboost_beats_the_recency_rule_and_logistic_regression_out_of_time(metrics):
    print(metrics.round(3).to_string())
    for metric, margin in (("roc_auc", 0.02), ("pr_auc", 0.02)):
        assert metrics.loc[metric, "xgboost"] >= metrics.loc[metric, "recency_rule"] + 0.08, metric
        assert metrics.loc[metric, "xgboost"] >= metrics.loc[metric, "logistic_regression"] + margin, metric
    assert metrics.loc["roc_auc", "xgboost"] >= 0.8
    assert metrics.loc["lift_top_decile", "xgboost"] >= 3.0


def test_probabilities_are_calibrated(metrics, con):
    assert metrics.loc["brier_score", "xgboost"] < metrics.loc["brier_score", "recency_rule"]
    (mean_probability,) = con.execute("select avg(churn_probability) from customer_churn_risk").fetchone()
    churn_rate = metrics.loc["test_churn_rate", "xgboost"]
    assert mean_probability == pytest.approx(churn_rate, abs=0.05)


def test_survival_ranks_time_to_churn_and_agrees_with_the_label(metrics, con):
    assert metrics.loc["concordance_index", "weibull_aft"] >= 0.75
    (inconsistent,) = con.execute(
        "select count(*) from customer_churn_features where churned = 1 and (churn_observed = 0 or days_to_churn > 0)"
    ).fetchone()
    assert inconsistent == 0, "a churned customer's churn day is their last activity before the cutoff"
    (not_monotone,) = con.execute(
        "select count(*) from customer_churn_risk where survival_90d > survival_30d"
    ).fetchone()
    assert not_monotone == 0
    (rank,) = con.execute(
        "select corr(by_probability, by_days) from (select rank() over (order by churn_probability) as by_probability, "
        "rank() over (order by median_days_to_churn) as by_days from customer_churn_risk)"
    ).fetchone()
    assert rank < -0.5, "the classifier and the survival model agree on who leaves first"


def test_explanations_add_up_to_the_margin(con):
    features = con.execute("select * from customer_churn_features").df()
    fitted = ChurnVersion.from_registry(con.sql("select * from fit_churn_model").df()).classifier
    rows = features.head(500)
    margin = fitted.booster.predict(xgb.DMatrix(fitted.design_matrix(rows)), output_margin=True)
    # What the drivers leave of each margin is the base value, one number for every customer.
    base = margin - fitted.contributions(rows).sum(axis=1)
    np.testing.assert_allclose(base, base[0], rtol=0, atol=1e-4)


def test_risk_outputs_are_consistent(con, dbt_vars):
    tiers = con.execute(
        "select risk_tier, min(churn_probability), max(churn_probability) from customer_churn_risk group by 1"
    ).fetchall()
    bounds = {tier: (low, high) for tier, low, high in tiers}
    tier_from = dbt_vars["churn_risk_tiers"]
    assert bounds["low"][1] < tier_from["medium"] <= bounds["medium"][0]
    assert bounds["critical"][0] >= tier_from["critical"]
    (outside,) = con.execute(
        "select count(*) from churn_early_warnings as w left join customer_churn_risk as r using (customer_id) "
        "where r.risk_tier is distinct from w.risk_tier"
    ).fetchone()
    assert outside == 0
    (population,) = con.execute(
        "select count(*) from customer_churn_features "
        "where cutoff_date = (select max(cutoff_date) from customer_churn_features)"
    ).fetchone()
    assert con.execute("select count(*) from customer_churn_risk").fetchone()[0] == population


def test_scores_and_importance_come_from_the_one_stored_fit(con, dbt_vars):
    version = ChurnVersion.from_registry(con.sql("select * from fit_churn_model").df())
    fitted = version.classifier
    features = sorted_frame(con.sql("select * from customer_churn_features"), ["cutoff_date", "customer_id"])
    scores = sorted_frame(con.sql("select * from fit_churn_scores"), ["cutoff_date", "customer_id"])
    scored = features[features["cutoff_date"].isin(scores["cutoff_date"].unique())].reset_index(drop=True)
    np.testing.assert_array_equal(scores["churn_probability"], fitted.predict_proba(scored))
    # Survival (and drivers) at the as-of cutoff only: the cutoff before is compared by probability and tier.
    as_of = (scored["cutoff_date"] == scored["cutoff_date"].max()).to_numpy()
    assert scores.loc[~as_of, ["driver_1", "median_days_to_churn", "days_to_contact"]].isna().all().all()
    scores, scored = scores[as_of].reset_index(drop=True), scored[as_of].reset_index(drop=True)
    np.testing.assert_array_equal(scores["median_days_to_churn"], version.survival.median_days(scored))
    level = dbt_vars["intervention_survival"]
    np.testing.assert_array_equal(scores["days_to_contact"], version.survival.days_until(scored, level))
    # On that day the survival model says the customer has not churned with probability `level`.
    for index in scores.index[scores["days_to_contact"] > 0][:20]:
        (survival,) = version.survival.survival(scored.loc[[index]], [scores.loc[index, "days_to_contact"]])[0]
        assert survival == pytest.approx(level, rel=1e-9)
    gain = fitted.booster.get_score(importance_type="total_gain")
    importance = con.sql("select feature_name, total_gain from fit_churn_feature_importance").df()
    stored = dict(zip(importance["feature_name"], importance["total_gain"], strict=True))
    assert stored == {column: gain.get(column, 0.0) for column in fitted.columns}
