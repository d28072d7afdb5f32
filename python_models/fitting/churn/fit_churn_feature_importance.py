"""Global feature importance of the primary churn model, per version."""

from customer_scoring.churn import FAMILY, IMPORTANCE_COLUMNS, ChurnVersion, feature_importance, importance_rows
from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import RetrainDecision


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["model_version", "feature_name"], full_refresh=False)
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(IMPORTANCE_COLUMNS)
    max_rows = int(dbt.config.get("importance_rows"))
    rows = importance_rows(sorted_frame(dbt.ref("churn_fit_cutoffs"), ["cutoff_date"]), max_rows)
    features = filtered_frame(dbt.ref("churn_fit_rows"), rows, ["cutoff_date", "customer_id"])
    version = ChurnVersion.from_registry(frame(dbt.ref("fit_churn_model").filter(decision.rows)))
    return decision.stamped(feature_importance(features, version, max_rows=max_rows))
