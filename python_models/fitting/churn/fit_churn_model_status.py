"""Which churn models the history could validate (and with which scheme), and why the others were skipped,
per version."""

from customer_scoring.churn import FAMILY, SCHEME_COLUMNS, model_status, validation_rows
from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import RetrainDecision
from customer_scoring.status import COLUMN_TYPES


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["model_version", "model_name"], full_refresh=False)
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(COLUMN_TYPES)
    horizon_days, max_rows = int(dbt.config.get("horizon_days")), int(dbt.config.get("max_fit_rows"))
    cutoffs = sorted_frame(dbt.ref("churn_fit_cutoffs"), ["cutoff_date"])
    rows = validation_rows(cutoffs, horizon_days, max_rows)  # what the validation read
    # The scheme reads three columns: the features themselves stay in the warehouse.
    validated = filtered_frame(dbt.ref("churn_fit_rows"), rows, ["cutoff_date", "customer_id"], SCHEME_COLUMNS)
    metrics = filtered_frame(dbt.ref("fit_churn_model_metrics"), decision.rows, ["model_name", "metric_name"])
    return decision.stamped(
        model_status(validated, metrics, horizon_days=horizon_days, models=dbt.config.get("models"))
    )
