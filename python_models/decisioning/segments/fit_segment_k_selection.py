"""Silhouette of K-means on the segment features for each k in `segment_k_range`, per version; the best is
selected."""

from customer_scoring.frames import frame, sorted_frame
from customer_scoring.registry import RetrainDecision
from customer_scoring.segments import FAMILY, SELECTION_COLUMNS, KMeansSettings, SegmentFeatures, select_k


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["model_version", "k"], full_refresh=False)
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(SELECTION_COLUMNS)
    selection = select_k(
        sorted_frame(dbt.ref("customer_segment_features"), ["customer_id"]),
        SegmentFeatures(dbt.config.get("segment_features"), dbt.config.get("segment_log_features")),
        int(dbt.config.get("k_min")),
        int(dbt.config.get("k_max")),
        KMeansSettings(**dbt.config.get("kmeans")),
    )
    return decision.stamped(selection)
