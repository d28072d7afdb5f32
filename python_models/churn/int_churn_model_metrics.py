"""Out-of-time validation metrics of the churn models, one row per model and metric."""

from customer_scoring.churn import validation_metrics


def model(dbt, session):
    dbt.config(materialized="table")
    return validation_metrics(dbt.ref("int_churn_holdout_predictions").df())
