"""Calibrated churn probability, risk tier and top drivers at the as-of cutoff and the one before it."""

from customer_scoring.churn import FittedModel, risk_scores
from customer_scoring.frames import frame, sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    features = sorted_frame(dbt.ref("customer_churn_features"), ["cutoff_date", "customer_id"])
    fitted = FittedModel.from_frame(frame(dbt.ref("fit_churn_model")))  # one row (or none): no order to fix
    return risk_scores(
        features,
        fitted,
        tiers=dbt.config.get("risk_tiers"),
        max_rows=int(dbt.config.get("max_fit_rows")),
        model_params=dbt.config.get("model_params"),
    )
