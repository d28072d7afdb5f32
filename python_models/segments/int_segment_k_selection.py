"""Silhouette of K-means on the segment features for each k in `segment_k_range`; the best is selected."""

from customer_scoring.segments import select_k


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("int_customer_segment_features").df()
    return select_k(features, int(dbt.config.get("k_min")), int(dbt.config.get("k_max")))
