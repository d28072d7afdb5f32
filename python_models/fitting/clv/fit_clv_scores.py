"""Per-customer CLV from the model `fit_clv_model_status` selected, refitted on the full history."""

from customer_scoring.clv.pipeline import MLSettings, score
from customer_scoring.frames import sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    return score(
        sorted_frame(dbt.ref("int_clv_summary_by_snapshot"), ["snapshot_name", "customer_id"]),
        sorted_frame(dbt.ref("fit_clv_model_status"), ["model_name"]),
        sorted_frame(dbt.ref("fit_clv_holdout_predictions"), ["model_name", "customer_id"]),
        annual_discount_rate=float(dbt.config.get("annual_discount_rate")),
        ml_settings=MLSettings(dbt.config.get("xgboost_params"), int(dbt.config.get("ml_training_rows"))),
    )
