"""The churn family's versions in the model registry: the primary model and the survival model, fitted once
per version for the scores and the importance. One row per version; none for a version the history could
not validate."""

from customer_scoring.churn import FAMILY, FeatureSet, primary_fit_rows, registered_primary
from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import REGISTRY_COLUMNS, RetrainDecision


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["model_version"], full_refresh=False)
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(REGISTRY_COLUMNS)
    horizon_days, max_rows = int(dbt.config.get("horizon_days")), int(dbt.config.get("max_fit_rows"))
    cutoffs = sorted_frame(dbt.ref("churn_fit_cutoffs"), ["cutoff_date"])
    rows = primary_fit_rows(cutoffs, horizon_days, max_rows)
    return registered_primary(
        filtered_frame(dbt.ref("churn_fit_rows"), rows, ["cutoff_date", "customer_id"]),
        decision,
        horizon_days=horizon_days,
        feature_set=FeatureSet(dbt.config.get("numeric_features"), dbt.config.get("categorical_features")),
        max_rows=max_rows,
        model_params=dbt.config.get("model_params"),
    )
