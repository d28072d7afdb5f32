"""customer_scoring.treeshap agrees with XGBoost's own TreeSHAP (`pred_contribs`) on boosters like the project's:
a classifier and a Tweedie regressor, missing values, duplicate features on a path, deeper trees."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb

from customer_scoring.treeshap import Explainer


def _data(rows: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 8)).astype(np.float32)
    X[:, 3] = rng.integers(0, 2, rows)  # a one-hot column
    X[rng.random(X.shape) < 0.05] = np.nan  # XGBoost sends each to its node's default side
    signal = np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) * np.nan_to_num(X[:, 2]) + np.nan_to_num(X[:, 3])
    return X, signal + rng.normal(size=rows)


BOOSTERS = {
    "classifier": lambda: xgb.XGBClassifier(n_estimators=120, learning_rate=0.1, max_depth=4, subsample=0.8),
    "tweedie": lambda: xgb.XGBRegressor(
        objective="reg:tweedie", tweedie_variance_power=1.3, n_estimators=80, max_depth=4, subsample=0.8
    ),
    "deep": lambda: xgb.XGBClassifier(n_estimators=30, max_depth=7),
}


@pytest.mark.parametrize("name", BOOSTERS)
def test_contributions_are_xgboosts_and_add_up_to_the_margin(name):
    X, signal = _data()
    target = (signal > 0).astype(int) if name != "tweedie" else np.exp(signal / 2) * (signal > 0)
    booster = BOOSTERS[name]().fit(X, target).get_booster()
    reference = booster.predict(xgb.DMatrix(X), pred_contribs=True)
    ours = Explainer(booster).contributions(X)
    assert ours.shape == (len(X), X.shape[1])
    # XGBoost walks its paths in float32, the tables are float64: agreement to float32 precision.
    scale = np.abs(reference).max()
    np.testing.assert_allclose(ours, reference[:, :-1], rtol=0, atol=1e-5 * scale)
    margin = booster.predict(xgb.DMatrix(X), output_margin=True)
    np.testing.assert_allclose(ours.sum(axis=1) + reference[:, -1], margin, rtol=0, atol=1e-5 * scale)
    # The drivers the scores name: the largest contributions, in the same order.
    top = np.argsort(-ours, axis=1, kind="stable")[:, :3]
    assert (top == np.argsort(-reference[:, :-1], axis=1, kind="stable")[:, :3]).mean() > 0.999


def test_a_row_is_explained_the_same_alone_and_among_others():
    """Live scoring explains one customer at a time, the batch everyone at once: bit for bit the same."""
    X, signal = _data(rows=1500)
    booster = BOOSTERS["classifier"]().fit(X, (signal > 0).astype(int)).get_booster()
    explainer = Explainer(booster)
    together = explainer.contributions(X)
    for row in (0, 700, 1499):
        np.testing.assert_array_equal(explainer.contributions(X[row : row + 1])[0], together[row])


def test_a_design_matrix_of_the_wrong_width_is_refused():
    X, signal = _data(rows=200)
    booster = BOOSTERS["classifier"]().fit(X, (signal > 0).astype(int)).get_booster()
    with pytest.raises(ValueError, match="7 feature columns, the booster has 8"):
        Explainer(booster).contributions(X[:, :7])
