"""Which CLV models the data could validate and fit, which was selected, and why the others were skipped,
per version."""

from customer_scoring.clv.pipeline import FAMILY, model_status
from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import RetrainDecision
from customer_scoring.status import COLUMN_TYPES


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["model_version", "model_name"], full_refresh=False)
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(COLUMN_TYPES)
    return decision.stamped(
        model_status(
            sorted_frame(dbt.ref("int_clv_summary_by_snapshot"), ["snapshot_name", "customer_id"]),
            filtered_frame(dbt.ref("fit_clv_model_metrics"), decision.rows, ["model_name", "metric_name"]),
        )
    )
