"""Holdout metrics of the CLV models, one row per model and metric."""

from customer_scoring.clv.pipeline import model_metrics
from customer_scoring.frames import sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    predictions = sorted_frame(dbt.ref("fit_clv_holdout_predictions"), ["model_name", "customer_id"])
    return model_metrics(
        predictions, sorted_frame(dbt.ref("int_clv_summary_by_snapshot"), ["snapshot_name", "customer_id"])
    )
