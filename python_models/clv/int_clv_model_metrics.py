"""Holdout metrics of the CLV models, one row per model and metric, with the selected model flagged."""

from customer_scoring.clv.pipeline import model_metrics


def model(dbt, session):
    dbt.config(materialized="table")
    predictions = dbt.ref("int_clv_holdout_predictions").df()
    return model_metrics(predictions, dbt.ref("int_clv_summary_by_snapshot").df())
