"""Out-of-time predictions of every churn model for the customers of the latest labelled cutoff."""

from customer_scoring.churn import holdout_predictions


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("customer_churn_features").df()
    return holdout_predictions(features, horizon_days=int(dbt.config.get("horizon_days")))
