"""Whether the buyers could be segmented: k, silhouette and the features used, or why not; per version."""

from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import RetrainDecision
from customer_scoring.segments import FAMILY, KMeansSettings, SegmentFeatures, model_status
from customer_scoring.status import COLUMN_TYPES


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["model_version", "model_name"], full_refresh=False)
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(COLUMN_TYPES)
    status = model_status(
        sorted_frame(dbt.ref("customer_segment_features"), ["customer_id"]),
        SegmentFeatures(dbt.config.get("segment_features"), dbt.config.get("segment_log_features")),
        filtered_frame(dbt.ref("fit_segment_k_selection"), decision.rows, ["k"]),
        k_max=int(dbt.config.get("k_max")),
        settings=KMeansSettings(**dbt.config.get("kmeans")),
    )
    return decision.stamped(status)
