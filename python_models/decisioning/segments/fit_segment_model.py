"""The segments' versions in the model registry: K-means with the selected k on every buyer, each centroid
named after its nearest archetype. One row per version; none for a version the buyers could not be
segmented for."""

from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import REGISTRY_COLUMNS, RetrainDecision
from customer_scoring.segments import FAMILY, KMeansSettings, SegmentFeatures, registered_model


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["model_version"], full_refresh=False)
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(REGISTRY_COLUMNS)
    return registered_model(
        sorted_frame(dbt.ref("customer_segment_features"), ["customer_id"]),
        SegmentFeatures(dbt.config.get("segment_features"), dbt.config.get("segment_log_features")),
        filtered_frame(dbt.ref("fit_segment_k_selection"), decision.rows, ["k"]),
        sorted_frame(dbt.ref("segment_archetypes"), ["segment_name"]),
        KMeansSettings(**dbt.config.get("kmeans")),
        decision,
    )
