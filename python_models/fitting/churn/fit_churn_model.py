"""The primary churn model, fitted once for the scores and the importance: one row, none without a model."""

from customer_scoring.churn import FeatureSet, primary_fit_rows, primary_model_frame
from customer_scoring.frames import filtered_frame, sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    horizon_days, max_rows = int(dbt.config.get("horizon_days")), int(dbt.config.get("max_fit_rows"))
    cutoffs = sorted_frame(dbt.ref("churn_fit_cutoffs"), ["cutoff_date"])
    rows = primary_fit_rows(cutoffs, horizon_days, max_rows)
    return primary_model_frame(
        filtered_frame(dbt.ref("churn_fit_rows"), rows, ["cutoff_date", "customer_id"]),
        horizon_days=horizon_days,
        feature_set=FeatureSet(dbt.config.get("numeric_features"), dbt.config.get("categorical_features")),
        max_rows=max_rows,
        model_params=dbt.config.get("model_params"),
    )
