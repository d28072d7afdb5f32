"""Global feature importance of the primary churn model."""

from customer_scoring.churn import feature_importance


def model(dbt, session):
    dbt.config(materialized="table")
    return feature_importance(dbt.ref("customer_churn_features").df())
