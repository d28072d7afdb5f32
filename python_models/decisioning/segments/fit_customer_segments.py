"""Every buying customer's segment: K-means with the selected k, clusters named after the nearest archetypes."""

from customer_scoring.frames import sorted_frame
from customer_scoring.segments import KMeansSettings, SegmentFeatures, segment


def model(dbt, session):
    dbt.config(materialized="table")
    return segment(
        sorted_frame(dbt.ref("customer_segment_features"), ["customer_id"]),
        SegmentFeatures(dbt.config.get("segment_features"), dbt.config.get("segment_log_features")),
        sorted_frame(dbt.ref("fit_segment_k_selection"), ["k"]),
        sorted_frame(dbt.ref("segment_archetypes"), ["segment_name"]),
        KMeansSettings(**dbt.config.get("kmeans")),
    )
