"""Calibrated churn probability, risk tier and top drivers at the as-of cutoff and the one before it."""

from customer_scoring.churn import FittedModel, risk_scores
from customer_scoring.frames import frame, sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    tiers = {
        "medium": float(dbt.config.get("medium_risk_from")),
        "high": float(dbt.config.get("high_risk_from")),
        "critical": float(dbt.config.get("critical_risk_from")),
    }
    features = sorted_frame(dbt.ref("customer_churn_features"), ["cutoff_date", "customer_id"])
    fitted = FittedModel.from_frame(frame(dbt.ref("fit_churn_model")))  # one row (or none): no order to fix
    return risk_scores(features, fitted, tiers)
