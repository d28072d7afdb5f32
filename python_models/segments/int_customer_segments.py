"""Every buying customer's segment: K-means with the selected k, clusters named after the nearest archetypes."""

from customer_scoring.segments import assign_segments


def model(dbt, session):
    dbt.config(materialized="table")
    selection = dbt.ref("int_segment_k_selection").df()
    k = int(selection.loc[selection["is_selected"], "k"].iloc[0])
    return assign_segments(dbt.ref("int_customer_segment_features").df(), k, dbt.ref("segment_archetypes").df())
