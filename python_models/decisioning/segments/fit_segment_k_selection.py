"""Silhouette of K-means on the segment features for each k in `segment_k_range`; the best is selected."""

from customer_scoring.frames import sorted_frame
from customer_scoring.segments import select_k


def model(dbt, session):
    dbt.config(materialized="table")
    features = sorted_frame(dbt.ref("customer_segment_features"), ["customer_id"])
    return select_k(features, int(dbt.config.get("k_min")), int(dbt.config.get("k_max")))
