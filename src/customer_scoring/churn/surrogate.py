"""A decision tree that people can read in place of the churn model (`trees.readable_tree`): fitted to the
primary model's calibrated churn probability on the model's own features."""

from __future__ import annotations

import pandas as pd

from customer_scoring.churn.features import at_most
from customer_scoring.churn.scoring import ChurnVersion
from customer_scoring.status import empty_frame
from customer_scoring.trees import readable_tree

SURROGATE_COLUMNS = {
    "leaf_id": "int64",
    "rule": "string",
    "rows": "int64",
    "row_share": "float64",
    "mean_churn_probability": "float64",
    "fidelity_r2": "float64",
}


def surrogate_tree(
    features: pd.DataFrame, version: ChurnVersion | None, max_rows: int, max_depth: int, min_leaf_share: float
) -> pd.DataFrame:
    """The leaves of a tree of depth at most `max_depth` (leaves of at least `min_leaf_share` of the rows) fitted
    to the version's churn probability over the labelled rows (at most `max_rows`, `at_most`), highest
    probability first; no rows without a version."""
    if version is None:
        return empty_frame(SURROGATE_COLUMNS)
    fitted = version.classifier
    rows = at_most(features[features["churned"].notna()], max_rows)
    leaves = readable_tree(
        fitted.design_matrix(rows), fitted.predict_proba(rows), fitted.features.categorical, max_depth, min_leaf_share
    )
    return leaves.rename(columns={"mean_prediction": "mean_churn_probability"}).astype(SURROGATE_COLUMNS)
