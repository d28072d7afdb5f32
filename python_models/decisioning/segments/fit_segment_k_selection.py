"""Silhouette of K-means on the segment features for each k in `segment_k_range`; the best is selected."""

from customer_scoring.frames import sorted_frame
from customer_scoring.segments import KMeansSettings, SegmentFeatures, select_k


def model(dbt, session):
    dbt.config(materialized="table")
    return select_k(
        sorted_frame(dbt.ref("customer_segment_features"), ["customer_id"]),
        SegmentFeatures(dbt.config.get("segment_features"), dbt.config.get("segment_log_features")),
        int(dbt.config.get("k_min")),
        int(dbt.config.get("k_max")),
        KMeansSettings(**dbt.config.get("kmeans")),
    )
