"""Revenue in each of the next months with its band, from this run's registered CLV version and new customers."""

from customer_scoring.clv.pipeline import FAMILY, ClvVersion
from customer_scoring.clv.revenue import RevenueForecastSettings, revenue_forecast
from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import RetrainDecision


def model(dbt, session):
    dbt.config(materialized="table")
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    version = ClvVersion.from_registry(frame(dbt.ref("fit_clv_model").filter(decision.rows)))  # one row or none
    settings = dbt.config.get("revenue_forecast")
    return revenue_forecast(
        filtered_frame(dbt.ref("int_clv_summary_by_snapshot"), "snapshot_name = 'full'", ["customer_id"]),
        version,
        sorted_frame(dbt.ref("int_customer_acquisitions_counted"), ["months_before_as_of"]),
        sorted_frame(dbt.ref("int_new_customer_revenue_aggregated"), ["months_since_acquisition"]),
        RevenueForecastSettings(
            int(settings["months"]),
            int(settings["simulations"]),
            int(settings["simulation_customers"]),
            float(settings["interval_z"]),
        ),
    )
