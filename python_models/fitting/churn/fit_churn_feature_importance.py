"""Global feature importance of the primary churn model."""

from customer_scoring.churn import feature_importance
from customer_scoring.frames import sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    features = sorted_frame(dbt.ref("customer_churn_features"), ["cutoff_date", "customer_id"])
    return feature_importance(features, horizon_days=int(dbt.config.get("horizon_days")))
