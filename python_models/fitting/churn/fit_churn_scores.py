"""Calibrated churn probability, risk tier and top drivers at the as-of cutoff and the one before it, from the
registered version this run scores with."""

from customer_scoring.churn import FAMILY, ChurnVersion, risk_scores, scoring_rows
from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import RetrainDecision


def model(dbt, session):
    dbt.config(materialized="table")
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    rows = scoring_rows(sorted_frame(dbt.ref("churn_fit_cutoffs"), ["cutoff_date"]))
    version = ChurnVersion.from_registry(frame(dbt.ref("fit_churn_model").filter(decision.rows)))  # one row or none
    features = filtered_frame(dbt.ref("churn_fit_rows"), rows, ["cutoff_date", "customer_id"])
    return risk_scores(
        features,
        version,
        tiers=dbt.config.get("risk_tiers"),
        contact_survival=float(dbt.config.get("contact_survival")),
    )
