"""Out-of-time validation of the churn models on the latest labelled cutoff, one row per model and metric."""

from customer_scoring.churn import validate


def model(dbt, session):
    dbt.config(materialized="table")
    return validate(dbt.ref("customer_churn_features").df(), horizon_days=int(dbt.config.get("horizon_days")))
