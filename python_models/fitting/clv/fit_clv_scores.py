"""Per-customer CLV from the registered version this run scores with."""

from customer_scoring.clv.pipeline import FAMILY, ClvVersion, score
from customer_scoring.frames import filtered_frame, frame
from customer_scoring.registry import RetrainDecision


def model(dbt, session):
    dbt.config(materialized="table")
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    version = ClvVersion.from_registry(frame(dbt.ref("fit_clv_model").filter(decision.rows)))  # one row or none
    return score(
        filtered_frame(dbt.ref("int_clv_summary_by_snapshot"), "snapshot_name = 'full'", ["customer_id"]),
        version,
        annual_discount_rate=float(dbt.config.get("annual_discount_rate")),
        propensity_days=int(dbt.config.get("propensity_days")),
    )
