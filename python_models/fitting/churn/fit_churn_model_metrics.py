"""Out-of-time validation metrics of the churn models, one row per model and metric."""

from customer_scoring.churn import model_metrics
from customer_scoring.frames import sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    return model_metrics(sorted_frame(dbt.ref("fit_churn_holdout_predictions"), ["model_name", "customer_id"]))
