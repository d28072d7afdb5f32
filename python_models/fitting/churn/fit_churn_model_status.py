"""Which churn models the history could validate (and with which scheme), and why the others were skipped."""

from customer_scoring.churn import SCHEME_COLUMNS, model_status, validation_rows
from customer_scoring.frames import filtered_frame, sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    horizon_days, max_rows = int(dbt.config.get("horizon_days")), int(dbt.config.get("max_fit_rows"))
    cutoffs = sorted_frame(dbt.ref("churn_fit_cutoffs"), ["cutoff_date"])
    rows = validation_rows(cutoffs, horizon_days, max_rows)  # what the validation read
    # The scheme reads three columns: the features themselves stay in the warehouse.
    validated = filtered_frame(dbt.ref("churn_fit_rows"), rows, ["cutoff_date", "customer_id"], SCHEME_COLUMNS)
    return model_status(
        validated,
        sorted_frame(dbt.ref("fit_churn_model_metrics"), ["model_name", "metric_name"]),
        horizon_days=horizon_days,
        models=dbt.config.get("models"),
    )
