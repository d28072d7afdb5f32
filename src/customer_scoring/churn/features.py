"""What every churn model reads: the feature lists, the design matrix and the cap on fitted rows.

The input is `customer_churn_features`: one row per (customer, cutoff) with point-in-time features, the
label `churned` (null while its horizon is still running) and the survival target (`days_to_churn`,
`churn_observed`).
"""

from __future__ import annotations

import pandas as pd

NUMERIC = [
    "days_since_last_order",
    "days_since_last_activity",
    "days_since_first_order",
    "tenure_days",
    "lifetime_orders",
    "lifetime_revenue",
    "orders_last_horizon",
    "orders_last_365d",
    "revenue_last_horizon",
    "revenue_last_365d",
    "sessions_last_30d",
    "sessions_previous_30d",
    "usage_minutes_last_30d",
    "usage_minutes_previous_30d",
    "features_clicked_last_30d",
    "active_days_last_horizon",
]
CATEGORICAL = ["plan", "acquisition_channel"]
# Models fit (and SHAP is averaged) on a random sample of at most this many feature rows: 1M customers
# give ~14M (customer, cutoff) rows, which no longer fit in memory, while the fit barely moves past this.
MAX_FIT_ROWS = 250_000


def at_most(rows: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """`rows`, or a random sample of MAX_FIT_ROWS of them."""
    return rows if len(rows) <= MAX_FIT_ROWS else rows.sample(MAX_FIT_ROWS, random_state=seed)


def design_matrix(features: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Numeric features plus one-hot categories, aligned to `columns` when given (scoring time)."""
    matrix = pd.get_dummies(features[NUMERIC + CATEGORICAL], columns=CATEGORICAL, dtype=float).astype(float)
    return matrix if columns is None else matrix.reindex(columns=columns, fill_value=0.0)
