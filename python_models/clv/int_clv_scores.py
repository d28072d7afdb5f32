"""Per-customer CLV from the selected model, refitted on the full history."""

from customer_scoring.clv.pipeline import score


def model(dbt, session):
    dbt.config(materialized="table")
    return score(
        dbt.ref("int_clv_summary_by_snapshot").df(),
        dbt.ref("int_clv_model_metrics").df(),
        annual_discount_rate=float(dbt.config.get("annual_discount_rate")),
    )
