"""The value family's versions in the model registry: one forecast regressor per window, fitted on the training
cutoffs. One row per version; none for a version the history could not fit and back-test."""

from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import REGISTRY_COLUMNS, RetrainDecision
from customer_scoring.value import FAMILY, ForecastSettings, fit_rows, registered_forecast


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["model_version"], full_refresh=False)
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(REGISTRY_COLUMNS)
    settings = ForecastSettings.of(dbt.config.get("forecast"))
    cutoffs = sorted_frame(dbt.ref("int_value_forecast_cutoffs"), ["cutoff_date"])
    rows = filtered_frame(
        dbt.ref("value_forecast_fit_rows"),
        fit_rows(cutoffs, "is_training", settings.max_fit_rows),
        ["cutoff_date", "customer_id"],
    )
    return registered_forecast(rows, cutoffs, decision, settings)
