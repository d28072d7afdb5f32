"""Calibrated churn probability, risk tier and top drivers at the as-of cutoff and the one before it."""

from customer_scoring.churn import risk_scores


def model(dbt, session):
    dbt.config(materialized="table")
    tiers = {
        "medium": float(dbt.config.get("medium_risk_from")),
        "high": float(dbt.config.get("high_risk_from")),
        "critical": float(dbt.config.get("critical_risk_from")),
    }
    horizon_days = int(dbt.config.get("horizon_days"))
    return risk_scores(dbt.ref("customer_churn_features").df(), tiers, horizon_days)
