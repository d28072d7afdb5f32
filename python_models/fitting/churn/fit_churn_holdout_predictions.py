"""Out-of-time predictions of every churn model for the customers of the latest labelled cutoff."""

from customer_scoring.churn import FeatureSet, holdout_predictions
from customer_scoring.frames import sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    features = sorted_frame(dbt.ref("customer_churn_features"), ["cutoff_date", "customer_id"])
    return holdout_predictions(
        features,
        horizon_days=int(dbt.config.get("horizon_days")),
        models=dbt.config.get("models"),
        feature_set=FeatureSet(dbt.config.get("numeric_features"), dbt.config.get("categorical_features")),
        max_rows=int(dbt.config.get("max_fit_rows")),
        model_params=dbt.config.get("model_params"),
    )
