"""Holdout metrics of the CLV models, one row per model and metric, per version."""

from customer_scoring.clv.pipeline import FAMILY, METRIC_COLUMNS, model_metrics
from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import RetrainDecision


def model(dbt, session):
    dbt.config(
        materialized="incremental", unique_key=["model_version", "model_name", "metric_name"], full_refresh=False
    )
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(METRIC_COLUMNS)
    predictions = filtered_frame(dbt.ref("fit_clv_holdout_predictions"), decision.rows, ["model_name", "customer_id"])
    snapshots = sorted_frame(dbt.ref("int_clv_summary_by_snapshot"), ["snapshot_name", "customer_id"])
    return decision.stamped(model_metrics(predictions, snapshots))
