"""Which churn models the history could validate (and with which scheme), and why the others were skipped."""

from customer_scoring.churn import model_status
from customer_scoring.frames import sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    return model_status(
        sorted_frame(dbt.ref("customer_churn_features"), ["cutoff_date", "customer_id"]),
        sorted_frame(dbt.ref("fit_churn_model_metrics"), ["model_name", "metric_name"]),
        horizon_days=int(dbt.config.get("horizon_days")),
        models=dbt.config.get("models"),
    )
