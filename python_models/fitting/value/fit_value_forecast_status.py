"""Whether the history could fit and back-test the value forecast, and how it validated, per version."""

from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import RetrainDecision
from customer_scoring.status import COLUMN_TYPES
from customer_scoring.value import FAMILY, ForecastSettings, forecast_status


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["model_version", "model_name"], full_refresh=False)
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(COLUMN_TYPES)
    settings = ForecastSettings.of(dbt.config.get("forecast"))
    cutoffs = sorted_frame(dbt.ref("int_value_forecast_cutoffs"), ["cutoff_date"])
    metrics = filtered_frame(dbt.ref("fit_value_forecast_metrics"), decision.rows, ["ranking", "metric_name"])
    return decision.stamped(forecast_status(cutoffs, metrics, settings))
