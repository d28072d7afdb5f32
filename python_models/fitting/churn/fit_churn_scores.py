"""Calibrated churn probability, risk tier and top drivers at the as-of cutoff and the one before it."""

from customer_scoring.churn import FittedModel, risk_scores, scoring_rows
from customer_scoring.frames import filtered_frame, frame, sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    max_rows = int(dbt.config.get("max_fit_rows"))
    rows = scoring_rows(sorted_frame(dbt.ref("churn_fit_cutoffs"), ["cutoff_date"]), max_rows)
    fitted = FittedModel.from_frame(frame(dbt.ref("fit_churn_model")))  # one row (or none): no order to fix
    return risk_scores(
        filtered_frame(dbt.ref("churn_fit_rows"), rows, ["cutoff_date", "customer_id"]),
        fitted,
        tiers=dbt.config.get("risk_tiers"),
        max_rows=max_rows,
        model_params=dbt.config.get("model_params"),
    )
