"""The validation metrics, each against an independent computation, a closed form or a hand example."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata
from sklearn.metrics import r2_score, roc_auc_score

from customer_scoring.metrics import (
    lift_top_decile,
    normalized_gini,
    purchase_metrics,
    r_squared,
    spend_metrics,
    top_decile_capture,
)


@pytest.fixture
def spend() -> tuple[np.ndarray, np.ndarray]:
    """Holdout-like spend (many zeros, a heavy tail) and a noisy prediction of it with no ties."""
    rng = np.random.default_rng(11)
    actual = np.where(rng.random(2000) < 0.6, 0.0, rng.gamma(2.0, 50.0, 2000))
    return actual, actual + rng.normal(0, 40, actual.size)


def test_normalized_gini_is_one_for_the_perfect_order_and_minus_one_for_the_reverse(spend):
    actual, _ = spend
    assert normalized_gini(actual, 2 * actual + 3) == pytest.approx(1, abs=1e-12)
    assert normalized_gini(actual, -actual) == pytest.approx(-1, abs=1e-12)


def test_normalized_gini_is_a_ratio_of_covariances_with_ranks(spend):
    # The Gini of an order is, up to a factor that cancels, cov(rank of prediction, actual).
    actual, predicted = spend
    expected = np.cov(rankdata(predicted), actual)[0, 1] / np.cov(rankdata(actual), actual)[0, 1]
    assert normalized_gini(actual, predicted) == pytest.approx(expected, rel=1e-9)


def test_normalized_gini_of_a_binary_outcome_is_twice_the_auc_minus_one():
    rng = np.random.default_rng(5)
    score = rng.random(3000)
    outcome = (rng.random(3000) < score).astype(float)
    assert normalized_gini(outcome, score) == pytest.approx(2 * roc_auc_score(outcome, score) - 1, rel=1e-9)


def test_normalized_gini_of_a_random_order_is_near_zero():
    rng = np.random.default_rng(3)
    actual = rng.gamma(2.0, 50.0, 200_000)
    assert abs(normalized_gini(actual, rng.random(actual.size))) < 0.01


def test_tied_predictions_keep_row_order():
    # A stable order: refs read in key order (frames.py) give one answer.
    assert normalized_gini([3.0, 0.0], [1.0, 1.0]) == pytest.approx(1)
    assert normalized_gini([0.0, 3.0], [1.0, 1.0]) == pytest.approx(-1)
    assert top_decile_capture([1.0, 2.0, 7.0], [0.0, 0.0, 0.0]) == pytest.approx(0.1)


def test_top_decile_capture_on_a_hand_example():
    # Twelve customers: the top tenth rounds up to two, the rows predicted 9 and 8.
    actual = [5, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 5]
    predicted = [1, 0, 0, 8, 0, 0, 0, 9, 0, 0, 2, 3]
    assert top_decile_capture(actual, predicted) == pytest.approx(30 / 40)


def test_top_decile_capture_of_the_perfect_order_is_the_largest_tenths_share(spend):
    actual, _ = spend
    largest = np.sort(actual)[::-1][: int(np.ceil(actual.size / 10))]
    assert top_decile_capture(actual, actual) == pytest.approx(largest.sum() / actual.sum())


def test_r_squared_agrees_with_scikit_learn(spend):
    actual, predicted = spend
    assert r_squared(actual, predicted) == pytest.approx(r2_score(actual, predicted), rel=1e-12)
    assert r_squared(actual, actual) == 1
    assert r_squared(actual, np.full(actual.size, actual.mean())) == pytest.approx(0, abs=1e-12)


def test_spend_metrics_on_ties_use_average_ranks(spend):
    actual, predicted = spend
    predicted = np.round(predicted, -1)  # ties on both sides, as zero spend and plateaus make
    metrics = spend_metrics(actual, predicted)
    assert metrics["spend_r2"] == pytest.approx(r2_score(actual, predicted), rel=1e-12)
    spearman = np.corrcoef(rankdata(actual), rankdata(predicted))[0, 1]
    assert metrics["spend_spearman"] == pytest.approx(spearman, rel=1e-12)
    assert metrics["spend_normalized_gini"] == normalized_gini(actual, predicted)
    assert metrics["spend_top_decile_capture"] == top_decile_capture(actual, predicted)
    assert metrics["spend_predicted_total"] == pytest.approx(predicted.sum())
    assert metrics["spend_actual_total"] == pytest.approx(actual.sum())


def test_purchase_metrics_on_a_hand_example():
    # Errors -0.5, 0, -1, 3: absolute mean 4.5 / 4, squared mean 10.25 / 4.
    metrics = purchase_metrics([0, 1, 2, 5], [0.5, 1, 3, 2])
    assert metrics == pytest.approx(
        {
            "purchases_mae": 1.125,
            "purchases_rmse": np.sqrt(2.5625),
            "purchases_predicted_total": 6.5,
            "purchases_actual_total": 8,
        }
    )


def test_lift_of_the_perfect_ranking_is_one_over_the_churn_rate():
    # Twenty-five customers, two churners: the riskiest tenth, rounded down, is the two churners.
    y = np.zeros(25)
    y[[5, 17]] = 1
    assert lift_top_decile(y, y + np.linspace(0, 0.1, 25)) == pytest.approx(25 / 2)


def test_lift_counts_a_plateau_at_the_boundary_by_its_mean_rate():
    # 100 customers, 20 churners. Riskiest tenth: six at 0.8 (three churn), then four of the ten at 0.5,
    # where four in ten churn: 3 + 4 * 0.4 = 4.6 churners in ten, against 0.2 overall.
    probability = np.array([0.8] * 6 + [0.5] * 10 + [0.1] * 84)
    y = np.array([1, 1, 1, 0, 0, 0] + [1] * 4 + [0] * 6 + [1] * 13 + [0] * 71, dtype=float)
    assert lift_top_decile(y, probability) == pytest.approx(0.46 / 0.2)
    rng = np.random.default_rng(0)
    for _ in range(5):
        order = rng.permutation(y.size)
        assert lift_top_decile(y[order], probability[order]) == pytest.approx(0.46 / 0.2)
