"""Every CLV model's prediction of each calibration customer's holdout purchases and spend."""

from customer_scoring.clv.pipeline import MLSettings, holdout_predictions
from customer_scoring.frames import sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    return holdout_predictions(
        sorted_frame(dbt.ref("int_clv_summary_by_snapshot"), ["snapshot_name", "customer_id"]),
        MLSettings(dbt.config.get("xgboost_params"), int(dbt.config.get("ml_training_rows"))),
    )
