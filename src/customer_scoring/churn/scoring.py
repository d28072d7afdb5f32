"""Churn scores from the final fit of the primary model: probabilities, risk tiers, drivers and importance.

`fit_primary` refits XGBoost as validated, moved forward to calibrate on the latest labelled cutoff
(`scoring_scheme`); `risk_scores` and `feature_importance` each call it. SHAP contributions (Lundberg &
Lee 2017, "A Unified Approach to Interpreting Model Predictions", NeurIPS; XGBoost's `pred_contribs`,
Lundberg et al. 2020, "From local explanations to global understanding with explainable AI for trees",
Nature Machine Intelligence 2) name each customer's top three risk drivers and, averaged in absolute
value, rank the features with the booster's total gain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xgboost as xgb

from customer_scoring.churn.estimators import PRIMARY, FittedModel, fit_models
from customer_scoring.churn.features import at_most, design_matrix, empty_frame
from customer_scoring.churn.schemes import scoring_scheme
from customer_scoring.churn.survival import SurvivalModel
from customer_scoring.status import Unfittable

RISK_COLUMNS = {"customer_id": "string", "cutoff_date": "datetime64[us]", "churn_probability": "float64"}
RISK_COLUMNS |= {column: "string" for column in ("risk_tier", "driver_1", "driver_2", "driver_3")}
RISK_COLUMNS |= {column: "float64" for column in ("median_days_to_churn", "survival_30d", "survival_90d")}
RISK_COLUMNS["model_name"] = "string"
IMPORTANCE_COLUMNS = {"feature_name": "string", "total_gain": "float64", "mean_abs_shap": "float64"}
IMPORTANCE_COLUMNS |= {"importance_share": "float64", "importance_rank": "int64"}


def fit_primary(features: pd.DataFrame, horizon_days: int, seed: int = 0) -> FittedModel:
    """XGBoost calibrated on the latest labelled cutoff, for the final scores; Unfittable when the history
    cannot validate it."""
    return fit_models(features, scoring_scheme(features, horizon_days), seed, names=[PRIMARY])[PRIMARY]


def _risk_tier(probability: np.ndarray, tiers: dict[str, float]) -> np.ndarray:
    """tiers maps the lower bound of medium, high and critical to a probability."""
    return np.select(
        [probability >= tiers["critical"], probability >= tiers["high"], probability >= tiers["medium"]],
        ["critical", "high", "medium"],
        "low",
    )


def _contributions(fitted: FittedModel, X: pd.DataFrame) -> np.ndarray:
    """SHAP contributions to the raw margin, one column per feature plus the base value last."""
    booster = fitted.booster
    return booster.predict(xgb.DMatrix(X), pred_contribs=True)


def risk_scores(features: pd.DataFrame, tiers: dict[str, float], horizon_days: int, seed: int = 0) -> pd.DataFrame:
    """Churn probability, risk tier and top three drivers at the as-of cutoff and the one before it (none
    when the history cannot validate the model)."""
    try:
        fitted = fit_primary(features, horizon_days, seed)
    except Unfittable:
        return empty_frame(RISK_COLUMNS)
    recent = sorted(features["cutoff_date"].unique())[-2:]
    scoring = features[features["cutoff_date"].isin(recent)].reset_index(drop=True)
    probability = fitted.predict_proba(scoring)
    contributions = _contributions(fitted, design_matrix(scoring, fitted.columns))[:, :-1]
    top = np.argsort(-contributions, axis=1, kind="stable")[:, :3]  # the features pushing risk up most
    names = np.array(fitted.columns)
    survival = SurvivalModel().fit(features[~features["cutoff_date"].isin(recent)])
    survival_30d, survival_90d = survival.survival(scoring, [30, 90]).T
    return pd.DataFrame(
        {
            "customer_id": scoring["customer_id"],
            "cutoff_date": scoring["cutoff_date"],
            "churn_probability": probability,
            "risk_tier": _risk_tier(probability, tiers),
            "driver_1": names[top[:, 0]],
            "driver_2": names[top[:, 1]],
            "driver_3": names[top[:, 2]],
            "median_days_to_churn": survival.median_days(scoring),
            "survival_30d": survival_30d,
            "survival_90d": survival_90d,
            "model_name": PRIMARY,
        }
    )


def feature_importance(features: pd.DataFrame, horizon_days: int, seed: int = 0) -> pd.DataFrame:
    """Global importance of the primary model: total gain and mean |SHAP| over the labelled rows."""
    try:
        fitted = fit_primary(features, horizon_days, seed)
    except Unfittable:
        return empty_frame(IMPORTANCE_COLUMNS)
    labelled = at_most(features[features["churned"].notna()], seed)
    contributions = _contributions(fitted, design_matrix(labelled, fitted.columns))[:, :-1]
    gain = fitted.booster.get_score(importance_type="total_gain")
    importance = pd.DataFrame(
        {
            "feature_name": fitted.columns,
            "total_gain": [gain.get(c, 0.0) for c in fitted.columns],
            "mean_abs_shap": np.abs(contributions).mean(axis=0),
        }
    )
    importance["importance_share"] = importance["total_gain"] / importance["total_gain"].sum()
    importance["importance_rank"] = importance["total_gain"].rank(ascending=False, method="first").astype(int)
    return importance.sort_values("importance_rank", ignore_index=True)
