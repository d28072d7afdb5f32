"""Every CLV model's prediction of each calibration customer's holdout purchases and spend."""

from customer_scoring.clv.pipeline import holdout_predictions


def model(dbt, session):
    dbt.config(materialized="table")
    return holdout_predictions(dbt.ref("int_clv_summary_by_snapshot").df())
