"""Every buying customer's segment: K-means with the selected k, clusters named after the nearest archetypes."""

from customer_scoring.frames import sorted_frame
from customer_scoring.segments import assign_segments


def model(dbt, session):
    dbt.config(materialized="table")
    selection = sorted_frame(dbt.ref("int_segment_k_selection"), ["k"])
    k = int(selection.loc[selection["is_selected"], "k"].iloc[0])
    return assign_segments(
        sorted_frame(dbt.ref("int_customer_segment_features"), ["customer_id"]),
        k,
        sorted_frame(dbt.ref("segment_archetypes"), ["segment_name"]),
    )
