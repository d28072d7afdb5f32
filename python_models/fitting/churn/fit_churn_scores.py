"""Calibrated churn probability, risk tier and top drivers at the as-of cutoff and the one before it, from the
registered version this run scores with."""

from customer_scoring.churn import FAMILY, FittedModel, risk_scores, scoring_rows
from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import RetrainDecision


def model(dbt, session):
    dbt.config(materialized="table")
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    max_rows = int(dbt.config.get("max_fit_rows"))
    rows = scoring_rows(sorted_frame(dbt.ref("churn_fit_cutoffs"), ["cutoff_date"]), max_rows)
    fitted = FittedModel.from_registry(frame(dbt.ref("fit_churn_model").filter(decision.rows)))  # one row or none
    return risk_scores(
        filtered_frame(dbt.ref("churn_fit_rows"), rows, ["cutoff_date", "customer_id"]),
        fitted,
        tiers=dbt.config.get("risk_tiers"),
        max_rows=max_rows,
        model_params=dbt.config.get("model_params"),
    )
