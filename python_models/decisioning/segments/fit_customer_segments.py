"""Every buying customer's segment: the nearest centroid of the registered version this run scores with."""

from customer_scoring.frames import frame, sorted_frame
from customer_scoring.registry import RetrainDecision
from customer_scoring.segments import FAMILY, SegmentVersion, assign_segments


def model(dbt, session):
    dbt.config(materialized="table")
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    version = SegmentVersion.from_registry(frame(dbt.ref("fit_segment_model").filter(decision.rows)))
    return assign_segments(sorted_frame(dbt.ref("customer_segment_features"), ["customer_id"]), version)
