"""The primary churn model, fitted once for the scores and the importance: one row, none without a model."""

from customer_scoring.churn import FeatureSet, primary_model_frame
from customer_scoring.frames import sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    features = sorted_frame(dbt.ref("customer_churn_features"), ["cutoff_date", "customer_id"])
    return primary_model_frame(
        features,
        horizon_days=int(dbt.config.get("horizon_days")),
        feature_set=FeatureSet(dbt.config.get("numeric_features"), dbt.config.get("categorical_features")),
        max_rows=int(dbt.config.get("max_fit_rows")),
        model_params=dbt.config.get("model_params"),
    )
