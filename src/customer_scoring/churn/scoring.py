"""Churn scores from one final fit of the primary model: probabilities, risk tiers, drivers and importance.

`fit_primary` refits XGBoost as validated, moved forward to calibrate on the latest labelled cutoff
(`scoring_scheme`). `registered_primary` writes that fit as the churn family's version row of the model
registry, and `risk_scores` and `feature_importance` read it back (`FittedModel.from_artifact`): both
describe the same fit, in this run and in every later run that keeps the version. SHAP
contributions (Lundberg & Lee 2017, "A Unified Approach to Interpreting Model Predictions", NeurIPS;
XGBoost's `pred_contribs`, Lundberg et al. 2020, "From local explanations to global understanding with
explainable AI for trees", Nature Machine Intelligence 2) name each customer's top risk drivers and,
averaged in absolute value, rank the features with the booster's total gain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from customer_scoring.churn.estimators import PRIMARY, FittedModel, fit_models
from customer_scoring.churn.features import FeatureSet, at_most
from customer_scoring.churn.schemes import scoring_scheme
from customer_scoring.churn.survival import SURVIVAL, SurvivalModel
from customer_scoring.registry import REGISTRY_COLUMNS, RetrainDecision
from customer_scoring.status import Unfittable, empty_frame

# Columns of customer_churn_risk: driver_1 .. driver_<DRIVERS> and survival_<days>d for each SURVIVAL_DAYS.
DRIVERS = 3
SURVIVAL_DAYS = [30, 90]
RISK_COLUMNS = {"customer_id": "string", "cutoff_date": "datetime64[us]", "churn_probability": "float64"}
RISK_COLUMNS |= {"risk_tier": "string"} | {f"driver_{rank}": "string" for rank in range(1, DRIVERS + 1)}
RISK_COLUMNS |= {"median_days_to_churn": "float64"} | {f"survival_{days}d": "float64" for days in SURVIVAL_DAYS}
RISK_COLUMNS["model_name"] = "string"
IMPORTANCE_COLUMNS = {"feature_name": "string", "total_gain": "float64", "mean_abs_shap": "float64"}
IMPORTANCE_COLUMNS |= {"importance_share": "float64", "importance_rank": "int64"}
# The primary model's holdout metric that the registry keeps with each version (and the floor checks).
VALIDATION_METRIC = "roc_auc"


def fit_primary(
    features: pd.DataFrame,
    horizon_days: int,
    feature_set: FeatureSet,
    max_rows: int,
    model_params: dict,
    seed: int = 0,
) -> FittedModel:
    """XGBoost calibrated on the latest labelled cutoff, for the final scores; Unfittable when the history
    cannot validate it."""
    scheme = scoring_scheme(features, horizon_days)
    return fit_models(features, scheme, [PRIMARY], feature_set, max_rows, model_params, seed)[PRIMARY]


def registered_primary(
    features: pd.DataFrame,
    metrics: pd.DataFrame,
    decision: RetrainDecision,
    horizon_days: int,
    feature_set: FeatureSet,
    max_rows: int,
    model_params: dict,
    seed: int = 0,
) -> pd.DataFrame:
    """`fit_primary` as the registry's version row (REGISTRY_COLUMNS), with its holdout ROC-AUC from `metrics`
    (`validation.model_metrics`); no row when the history cannot validate the model."""
    try:
        fitted = fit_primary(features, horizon_days, feature_set, max_rows, model_params, seed)
    except Unfittable:
        return empty_frame(REGISTRY_COLUMNS)
    primary = metrics[(metrics["model_name"] == PRIMARY) & (metrics["metric_name"] == VALIDATION_METRIC)]
    auc = primary["metric_value"]
    return decision.registered(
        PRIMARY,
        features,
        fitted.scheme.describe(),
        (VALIDATION_METRIC, auc.item() if len(auc) else None),
        fitted.to_artifact(),
    )


def _risk_tier(probability: np.ndarray, tiers: dict[str, float]) -> np.ndarray:
    """tiers maps the lower bound of medium, high and critical to a probability."""
    return np.select(
        [probability >= tiers["critical"], probability >= tiers["high"], probability >= tiers["medium"]],
        ["critical", "high", "medium"],
        "low",
    )


def risk_scores(
    features: pd.DataFrame,
    fitted: FittedModel | None,
    tiers: dict[str, float],
    max_rows: int,
    model_params: dict,
) -> pd.DataFrame:
    """Churn probability, risk tier and top drivers from `fitted` (the primary model), with the time to churn
    of a survival model on the same features (fitted on at most `max_rows` rows), at the as-of cutoff and the
    one before it; no rows without a model."""
    if fitted is None:
        return empty_frame(RISK_COLUMNS)
    recent = sorted(features["cutoff_date"].unique())[-2:]
    scoring = features[features["cutoff_date"].isin(recent)].reset_index(drop=True)
    probability = fitted.predict_proba(scoring)
    top = np.argsort(-fitted.contributions(scoring), axis=1, kind="stable")  # pushing risk up most first
    names = np.array(fitted.columns)
    survival = SurvivalModel(fitted.features.numeric, model_params[SURVIVAL], max_rows)
    survival.fit(features[~features["cutoff_date"].isin(recent)])
    survival_at = survival.survival(scoring, SURVIVAL_DAYS)
    return pd.DataFrame(
        {
            "customer_id": scoring["customer_id"],
            "cutoff_date": scoring["cutoff_date"],
            "churn_probability": probability,
            "risk_tier": _risk_tier(probability, tiers),
            **{f"driver_{rank}": names[top[:, rank - 1]] for rank in range(1, DRIVERS + 1)},
            "median_days_to_churn": survival.median_days(scoring),
            **{f"survival_{days}d": survival_at[:, i] for i, days in enumerate(SURVIVAL_DAYS)},
            "model_name": PRIMARY,
        }
    )


def feature_importance(features: pd.DataFrame, fitted: FittedModel | None, max_rows: int) -> pd.DataFrame:
    """Global importance of `fitted` (the primary model): total gain, and mean |SHAP| over the labelled rows
    (at most `max_rows` of them, `at_most`); no rows without a model."""
    if fitted is None:
        return empty_frame(IMPORTANCE_COLUMNS)
    contributions = fitted.contributions(at_most(features[features["churned"].notna()], max_rows))
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
