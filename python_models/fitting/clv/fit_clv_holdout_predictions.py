"""Every CLV model's prediction of each calibration customer's holdout purchases and spend, per version."""

from customer_scoring.clv.pipeline import FAMILY, PREDICTION_COLUMNS, MLSettings, holdout_predictions
from customer_scoring.frames import frame, sorted_frame
from customer_scoring.registry import RetrainDecision


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        unique_key=["model_version", "model_name", "customer_id"],
        full_refresh=False,
        on_schema_change="append_new_columns",  # a version fitted before a column existed keeps it null
    )
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(PREDICTION_COLUMNS)
    return decision.stamped(
        holdout_predictions(
            sorted_frame(dbt.ref("int_clv_summary_by_snapshot"), ["snapshot_name", "customer_id"]),
            MLSettings(
                dbt.config.get("xgboost_params"), dbt.config.get("mlp_params"), int(dbt.config.get("ml_training_rows"))
            ),
            propensity_days=int(dbt.config.get("propensity_days")),
        )
    )
