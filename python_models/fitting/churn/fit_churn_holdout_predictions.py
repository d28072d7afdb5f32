"""Out-of-time predictions of every churn model for the customers of the latest labelled cutoff."""

from customer_scoring.churn import holdout_predictions
from customer_scoring.frames import sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    features = sorted_frame(dbt.ref("customer_churn_features"), ["cutoff_date", "customer_id"])
    return holdout_predictions(features, horizon_days=int(dbt.config.get("horizon_days")))
