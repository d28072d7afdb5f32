"""Per-customer CLV from the selected model, refitted on the full history."""

from customer_scoring.clv.pipeline import score
from customer_scoring.frames import sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    return score(
        sorted_frame(dbt.ref("int_clv_summary_by_snapshot"), ["snapshot_name", "customer_id"]),
        sorted_frame(dbt.ref("fit_clv_model_metrics"), ["model_name", "metric_name"]),
        annual_discount_rate=float(dbt.config.get("annual_discount_rate")),
    )
