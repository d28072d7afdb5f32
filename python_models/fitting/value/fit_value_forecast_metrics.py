"""The value forecast's back-test, one row per ranking and metric, per version."""

from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import RetrainDecision
from customer_scoring.status import Unfittable
from customer_scoring.value import (
    FAMILY,
    METRIC_COLUMNS,
    ForecastSettings,
    backtest_metrics,
    check_history,
    fit_rows,
    scored_rows,
)


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["model_version", "ranking", "metric_name"], full_refresh=False)
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(METRIC_COLUMNS)
    settings = ForecastSettings.of(dbt.config.get("forecast"))
    cutoffs = sorted_frame(dbt.ref("int_value_forecast_cutoffs"), ["cutoff_date"])
    try:
        check_history(cutoffs, settings)
    except Unfittable:
        return decision.unchanged(METRIC_COLUMNS)
    features = dbt.ref("value_forecast_fit_rows")
    order = ["cutoff_date", "customer_id"]
    training = filtered_frame(features, fit_rows(cutoffs, "is_backtest_training", settings.max_fit_rows), order)
    scored = filtered_frame(features, scored_rows(cutoffs, "is_backtest_scored"), order)
    return decision.stamped(backtest_metrics(training, scored, settings))
