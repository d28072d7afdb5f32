"""Global feature importance of the primary churn model."""

from customer_scoring.churn import FittedModel, feature_importance, importance_rows
from customer_scoring.frames import filtered_frame, frame, sorted_frame


def model(dbt, session):
    dbt.config(materialized="table")
    max_rows = int(dbt.config.get("max_fit_rows"))
    rows = importance_rows(sorted_frame(dbt.ref("churn_fit_cutoffs"), ["cutoff_date"]), max_rows)
    features = filtered_frame(dbt.ref("churn_fit_rows"), rows, ["cutoff_date", "customer_id"])
    fitted = FittedModel.from_frame(frame(dbt.ref("fit_churn_model")))  # one row (or none): no order to fix
    return feature_importance(features, fitted, max_rows=max_rows)
