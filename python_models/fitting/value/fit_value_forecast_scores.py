"""Each customer's forecast spend, trend, learned high-value flag and top drivers at the as-of date, from the
registered version this run scores with."""

from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import RetrainDecision
from customer_scoring.value import FAMILY, ForecastSettings, ValueVersion, forecast_scores, scored_rows


def model(dbt, session):
    dbt.config(materialized="table")
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    settings = ForecastSettings.of(dbt.config.get("forecast"))
    cutoffs = sorted_frame(dbt.ref("int_value_forecast_cutoffs"), ["cutoff_date"])
    rows = filtered_frame(dbt.ref("value_forecast_fit_rows"), scored_rows(cutoffs, "is_scored"), ["customer_id"])
    version = ValueVersion.from_registry(frame(dbt.ref("fit_value_forecast_model").filter(decision.rows)))
    return forecast_scores(rows, version, settings)
