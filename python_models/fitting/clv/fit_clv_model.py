"""The CLV family's versions in the model registry: the selected model refitted on the full history. One row
per version; none for a version no model could be validated for."""

from customer_scoring.clv.pipeline import FAMILY, MLSettings, registered_model
from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import REGISTRY_COLUMNS, RetrainDecision


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["model_version"], full_refresh=False)
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(REGISTRY_COLUMNS)
    return registered_model(
        sorted_frame(dbt.ref("int_clv_summary_by_snapshot"), ["snapshot_name", "customer_id"]),
        filtered_frame(dbt.ref("fit_clv_model_status"), decision.rows, ["model_name"]),
        filtered_frame(dbt.ref("fit_clv_holdout_predictions"), decision.rows, ["model_name", "customer_id"]),
        decision,
        MLSettings(
            dbt.config.get("xgboost_params"), dbt.config.get("mlp_params"), int(dbt.config.get("ml_training_rows"))
        ),
    )
