"""Decision trees people can read in place of a model: a shallow regression tree fitted to a model's predictions
on the model's own features, published as its leaves (the path of conditions to each, how many rows it holds,
their mean prediction), with its fidelity: the R² of the tree's predictions against the model's on the rows it
was fitted to. The churn model's (`churn.surrogate`) and the value forecast's (`value`) use it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeRegressor

from customer_scoring.metrics import r_squared


def readable_tree(
    matrix: pd.DataFrame, prediction: np.ndarray, categorical: list[str], max_depth: int, min_leaf_share: float
) -> pd.DataFrame:
    """The leaves of a tree of depth at most `max_depth` (leaves of at least `min_leaf_share` of the rows) fitted
    to `prediction` from `matrix` (one-hot columns of the `categorical` attributes read as 'plan = pro'),
    highest mean prediction first: leaf_id, rule, rows, row_share, mean_prediction, fidelity_r2."""
    tree = DecisionTreeRegressor(max_depth=max_depth, min_samples_leaf=min_leaf_share, random_state=0)
    tree.fit(matrix, prediction)
    fidelity = r_squared(prediction, tree.predict(matrix))
    rules = _rules(tree.tree_, list(matrix.columns), categorical)
    table = pd.DataFrame({"node": tree.apply(matrix), "prediction": prediction}).groupby("node")["prediction"]
    summary = pd.DataFrame({"rows": table.size(), "mean_prediction": table.mean()})
    summary = summary.sort_values(["mean_prediction", "rows"], ascending=False, kind="stable")
    return pd.DataFrame(
        {
            "leaf_id": np.arange(1, len(summary) + 1),
            "rule": [rules[node] for node in summary.index],
            "rows": summary["rows"].to_numpy(),
            "row_share": summary["rows"].to_numpy() / len(matrix),
            "mean_prediction": summary["mean_prediction"].to_numpy(),
            "fidelity_r2": fidelity,
        }
    )


def _rules(tree, columns: list[str], categorical: list[str]) -> dict[int, str]:
    """Each leaf's path from the root in words, one condition per feature in the order the path first splits
    on it: 'feature <= t', 'feature > t' or 'low < feature <= high'; for a one-hot column 'plan = pro' or
    'plan != pro' (the '=' alone once the path has one)."""
    rules: dict[int, str] = {}

    def one_hot(column: str) -> tuple[str, str] | None:
        for attribute in categorical:
            if column.startswith(f"{attribute}_"):
                return attribute, column.removeprefix(f"{attribute}_")
        return None

    def words(path: list[tuple[str, bool, float]]) -> str:
        low: dict[str, float] = {}
        high: dict[str, float] = {}
        equal: dict[str, str] = {}
        unequal: dict[str, list[str]] = {}
        names = []
        for column, right, threshold in path:
            category = one_hot(column)
            names.append(column if category is None else category[0])
            if category is not None and right:  # one-hot: 0 or 1, split at 0.5
                equal[category[0]] = category[1]
            elif category is not None:
                unequal.setdefault(category[0], []).append(category[1])
            elif right:
                low[column] = max(low.get(column, threshold), threshold)
            else:
                high[column] = min(high.get(column, threshold), threshold)
        conditions = []
        for name in dict.fromkeys(names):
            if name in equal:
                conditions.append(f"{name} = {equal[name]}")
            elif name in unequal:
                conditions += [f"{name} != {value}" for value in unequal[name]]
            elif name in low and name in high:
                conditions.append(f"{low[name]:.10g} < {name} <= {high[name]:.10g}")
            elif name in low:
                conditions.append(f"{name} > {low[name]:.10g}")
            else:
                conditions.append(f"{name} <= {high[name]:.10g}")
        return " and ".join(conditions) or "every customer"

    def walk(node: int, path: list[tuple[str, bool, float]]) -> None:
        if tree.children_left[node] == -1:
            rules[node] = words(path)
            return
        column, threshold = columns[tree.feature[node]], float(tree.threshold[node])
        walk(tree.children_left[node], [*path, (column, False, threshold)])
        walk(tree.children_right[node], [*path, (column, True, threshold)])

    walk(0, [])
    return rules
