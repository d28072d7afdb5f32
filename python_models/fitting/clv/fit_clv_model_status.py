"""Which CLV models the data could validate and fit, which was selected, and why the others were skipped."""

from customer_scoring.clv.pipeline import model_status
from customer_scoring.frames import sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    return model_status(
        sorted_frame(dbt.ref("int_clv_summary_by_snapshot"), ["snapshot_name", "customer_id"]),
        sorted_frame(dbt.ref("fit_clv_model_metrics"), ["model_name", "metric_name"]),
    )
