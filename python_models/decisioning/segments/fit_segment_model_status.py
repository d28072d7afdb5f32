"""Whether the buyers could be segmented: k, silhouette and the features used, or why not."""

from customer_scoring.frames import sorted_frame
from customer_scoring.segments import KMeansSettings, SegmentFeatures, model_status


def model(dbt, session):
    dbt.config(materialized="table")
    return model_status(
        sorted_frame(dbt.ref("customer_segment_features"), ["customer_id"]),
        SegmentFeatures(dbt.config.get("segment_features"), dbt.config.get("segment_log_features")),
        sorted_frame(dbt.ref("fit_segment_k_selection"), ["k"]),
        k_max=int(dbt.config.get("k_max")),
        settings=KMeansSettings(**dbt.config.get("kmeans")),
    )
