"""Validation metrics shared by the CLV and churn models: ranking quality and error, per customer."""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import brier_score_loss, roc_auc_score


def normalized_gini(actual, predicted) -> float:
    """Gini of actual values ordered by prediction, over the Gini of the perfect order (1 = perfect)."""
    actual, predicted = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)

    def gini(order):
        sorted_actual = actual[np.lexsort((np.arange(actual.size), -order))]
        cumulative = np.cumsum(sorted_actual) / sorted_actual.sum()
        return cumulative.sum() / actual.size - (actual.size + 1) / (2 * actual.size)

    return float(gini(predicted) / gini(actual))


def top_decile_capture(actual, predicted) -> float:
    """Share of the total actual value held by the tenth of customers with the highest prediction."""
    actual, predicted = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    top = np.argsort(-predicted, kind="stable")[: max(1, int(np.ceil(actual.size / 10)))]
    return float(actual[top].sum() / actual.sum())


def r_squared(actual, predicted) -> float:
    actual, predicted = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    return float(1 - np.sum((actual - predicted) ** 2) / np.sum((actual - actual.mean()) ** 2))


def spend_metrics(actual, predicted) -> dict[str, float]:
    return {
        "spend_r2": r_squared(actual, predicted),
        "spend_spearman": float(spearmanr(actual, predicted).statistic),
        "spend_normalized_gini": normalized_gini(actual, predicted),
        "spend_top_decile_capture": top_decile_capture(actual, predicted),
        "spend_predicted_total": float(np.sum(predicted)),
        "spend_actual_total": float(np.sum(actual)),
    }


def purchase_metrics(actual, predicted) -> dict[str, float]:
    actual, predicted = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    return {
        "purchases_mae": float(np.mean(np.abs(actual - predicted))),
        "purchases_rmse": float(np.sqrt(np.mean((actual - predicted) ** 2))),
        "purchases_predicted_total": float(predicted.sum()),
        "purchases_actual_total": float(actual.sum()),
    }


def propensity_metrics(bought, probability) -> dict[str, float]:
    """How well a probability of at least one purchase in a window ranks and is calibrated: ROC-AUC, the Brier
    score, and the Brier score of giving everyone the observed rate (the floor a useful model is below)."""
    bought, probability = np.asarray(bought, dtype=float), np.asarray(probability, dtype=float)
    both_classes = 0 < bought.sum() < len(bought)  # otherwise no ranking to judge
    return {
        "purchase_probability_roc_auc": float(roc_auc_score(bought, probability)) if both_classes else np.nan,
        "purchase_probability_brier": float(brier_score_loss(bought, probability)),
        "purchase_probability_base_rate_brier": float(bought.mean() * (1 - bought.mean())),
        "purchase_probability_predicted_mean": float(probability.mean()),
        "purchase_probability_actual_rate": float(bought.mean()),
    }


def lift_top_decile(y, probability) -> float:
    """Churn rate in the riskiest tenth over the overall rate. Calibrated probabilities have plateaus, so
    customers tied at the decile boundary count by the plateau's mean rate, not by row order."""
    y, probability = np.asarray(y, dtype=float), np.asarray(probability, dtype=float)
    k = max(1, len(y) // 10)
    boundary = np.sort(probability)[::-1][k - 1]
    above, tied = probability > boundary, probability == boundary
    captured = y[above].sum() + (k - above.sum()) * y[tied].mean()
    return float(captured / k / y.mean())


def top_share_metrics(actual, score, share: float) -> dict[str, float]:
    """How well a ranking by `score` finds the customers in the top `share` by `actual` value (spend): the first
    `share` of customers by actual value among those with any (ties broken by row order: equal positive spends
    are rare). precision_at_top: the share of the ranking's top `share` that is in the actual top;
    accuracy_at_top: the share of all customers the ranking puts on the right side (in both tops or in neither).
    Customers the score ties at the boundary of its top share its remaining places (each counts by the tie's
    mean), so row order never decides a score's top. spearman: rank correlation of score and actual value."""
    actual, score = np.asarray(actual, dtype=float), np.asarray(score, dtype=float)
    n = actual.size
    k = max(1, int(share * n))
    in_actual_top = np.zeros(n, dtype=bool)
    in_actual_top[np.lexsort((np.arange(n), -actual))[:k]] = True
    in_actual_top &= actual > 0
    boundary = np.sort(score)[::-1][k - 1]
    above, tied = score > boundary, score == boundary
    in_score_top = above + tied * (k - above.sum()) / tied.sum()
    hits = in_score_top[in_actual_top].sum()
    return {
        "precision_at_top": float(hits / k),
        "accuracy_at_top": float(1 - ((k - hits) + (in_actual_top.sum() - hits)) / n),
        "spearman": float(spearmanr(score, actual).statistic),
    }
