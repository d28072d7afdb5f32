"""What every churn model reads: the feature columns, the design matrix and the cap on fitted rows.

The input is `customer_churn_features` (through churn_fit_rows, which adds `sample_fraction`): one row
per (customer, cutoff) with point-in-time features, the label `churned` (null while its horizon is still
running) and the survival target (`days_to_churn`, `churn_observed`). Which of its columns are features
is the `churn_numeric_features` and `churn_categorical_features` vars, passed in as a `FeatureSet`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class FeatureSet:
    """The feature columns a model reads: numeric ones as they are, categorical ones one-hot encoded."""

    numeric: list[str]
    categorical: list[str]

    def design_matrix(self, rows: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
        """Numeric features as floats plus one-hot categories, named and ordered as pandas' `get_dummies` names
        them (`<column>_<value>`, values sorted, none set for a missing value); aligned to `columns` when given
        (scoring time: a category unseen in training is dropped, one absent from `rows` is all 0). Assembled as
        one float array: get_dummies, astype and reindex each copy a wide frame block by block."""
        named = {name: rows[name].to_numpy(dtype=float, na_value=np.nan) for name in self.numeric}
        for name in self.categorical:
            categories = pd.Categorical(rows[name])
            for code, value in enumerate(categories.categories):
                named[f"{name}_{value}"] = (categories.codes == code).astype(float)
        names = list(named) if columns is None else list(columns)
        zeros = np.zeros(len(rows))
        matrix = np.column_stack([named.get(name, zeros) for name in names]) if names else np.empty((len(rows), 0))
        return pd.DataFrame(matrix, index=rows.index, columns=names)


def at_most(rows: pd.DataFrame, max_rows: int) -> pd.DataFrame:
    """`rows`, or the `max_rows` of them (the `churn_max_fit_rows` var) with the smallest `sample_fraction`
    (a stable hash of the row's key, from churn_fit_rows), in their order: the warehouse's filter
    (`customer_scoring.churn.reads`) drew the same sample, so together they draw one deterministic sample."""
    if len(rows) <= max_rows:
        return rows
    return rows[rows["sample_fraction"].rank(method="first") <= max_rows]
