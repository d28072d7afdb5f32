"""Global feature importance of the primary churn model."""

from customer_scoring.churn import feature_importance


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("customer_churn_features").df()
    return feature_importance(features, horizon_days=int(dbt.config.get("horizon_days")))
