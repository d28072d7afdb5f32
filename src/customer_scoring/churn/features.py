"""What every churn model reads: the feature columns, the design matrix and the cap on fitted rows.

The input is `customer_churn_features` (through churn_fit_rows, which adds `sample_fraction`): one row
per (customer, cutoff) with point-in-time features, the label `churned` (null while its horizon is still
running) and the survival target (`days_to_churn`, `churn_observed`). Which of its columns are features
is the `churn_numeric_features` and `churn_categorical_features` vars, passed in as a `FeatureSet`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class FeatureSet:
    """The feature columns a model reads: numeric ones as they are, categorical ones one-hot encoded."""

    numeric: list[str]
    categorical: list[str]

    def design_matrix(self, rows: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
        """Numeric features plus one-hot categories, aligned to `columns` when given (scoring time)."""
        matrix = pd.get_dummies(rows[self.numeric + self.categorical], columns=self.categorical, dtype=float)
        matrix = matrix.astype(float)
        return matrix if columns is None else matrix.reindex(columns=columns, fill_value=0.0)


def at_most(rows: pd.DataFrame, max_rows: int) -> pd.DataFrame:
    """`rows`, or the `max_rows` of them (the `churn_max_fit_rows` var) with the smallest `sample_fraction`
    (a stable hash of the row's key, from churn_fit_rows), in their order: the warehouse's filter
    (`customer_scoring.churn.reads`) drew the same sample, so together they draw one deterministic sample."""
    if len(rows) <= max_rows:
        return rows
    return rows[rows["sample_fraction"].rank(method="first") <= max_rows]
