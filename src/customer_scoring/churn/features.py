"""What every churn model reads: the feature columns, the design matrix and the cap on fitted rows.

The input is `customer_churn_features`: one row per (customer, cutoff) with point-in-time features, the
label `churned` (null while its horizon is still running) and the survival target (`days_to_churn`,
`churn_observed`). Which of its columns are features is the `churn_numeric_features` and
`churn_categorical_features` vars, passed in as a `FeatureSet`.
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


def at_most(rows: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """`rows`, or a random sample of `max_rows` of them (the `churn_max_fit_rows` var)."""
    return rows if len(rows) <= max_rows else rows.sample(max_rows, random_state=seed)
