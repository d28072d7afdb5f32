"""Out-of-time predictions of every churn model for the customers of the latest labelled cutoff, per version."""

from customer_scoring.churn import FAMILY, HOLDOUT_COLUMNS, FeatureSet, holdout_predictions, validation_rows
from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import RetrainDecision


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        unique_key=["model_version", "model_name", "customer_id"],
        full_refresh=False,
    )
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(HOLDOUT_COLUMNS)
    horizon_days, max_rows = int(dbt.config.get("horizon_days")), int(dbt.config.get("max_fit_rows"))
    cutoffs = sorted_frame(dbt.ref("churn_fit_cutoffs"), ["cutoff_date"])
    rows = validation_rows(cutoffs, horizon_days, max_rows)
    predictions = holdout_predictions(
        filtered_frame(dbt.ref("churn_fit_rows"), rows, ["cutoff_date", "customer_id"]),
        horizon_days=horizon_days,
        models=dbt.config.get("models"),
        feature_set=FeatureSet(dbt.config.get("numeric_features"), dbt.config.get("categorical_features")),
        max_rows=max_rows,
        model_params=dbt.config.get("model_params"),
    )
    return decision.stamped(predictions)
