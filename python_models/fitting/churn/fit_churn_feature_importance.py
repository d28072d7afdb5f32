"""Global feature importance of the primary churn model."""

from customer_scoring.churn import FittedModel, feature_importance
from customer_scoring.frames import frame, sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    features = sorted_frame(dbt.ref("customer_churn_features"), ["cutoff_date", "customer_id"])
    fitted = FittedModel.from_frame(frame(dbt.ref("fit_churn_model")))  # one row (or none): no order to fix
    return feature_importance(features, fitted, max_rows=int(dbt.config.get("max_fit_rows")))
