"""Churn scores from one final fit of the primary model: probabilities, risk tiers, drivers and importance.

`fit_primary` refits XGBoost as validated, moved forward to calibrate on the latest labelled cutoff
(`scoring_scheme`). `registered_primary` writes that fit, with the survival model fitted beside it, as the
churn family's version row of the model registry, and `risk_scores` and `feature_importance` read it back
(`ChurnVersion.from_registry`): both describe the same fit, in this run and in every later run that keeps
the version. SHAP
contributions (Lundberg & Lee 2017, "A Unified Approach to Interpreting Model Predictions", NeurIPS;
XGBoost's `pred_contribs`, Lundberg et al. 2020, "From local explanations to global understanding with
explainable AI for trees", Nature Machine Intelligence 2) name each customer's top risk drivers and,
averaged in absolute value, rank the features with the booster's total gain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

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
RISK_COLUMNS["days_to_contact"] = "float64"
RISK_COLUMNS["model_name"] = "string"
IMPORTANCE_COLUMNS = {"feature_name": "string", "total_gain": "float64", "mean_abs_shap": "float64"}
IMPORTANCE_COLUMNS |= {"importance_share": "float64", "importance_rank": "int64"}


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


def _scored_cutoffs(features: pd.DataFrame) -> list:
    """The cutoffs the scores are published for: the as-of cutoff and the one before it."""
    return sorted(features["cutoff_date"].unique())[-2:]


@dataclass(frozen=True)
class ChurnVersion:
    """A registered version of the churn family: the primary classifier, and the survival model fitted beside
    it on the same features. Written as one JSON artifact, read back bit for bit."""

    classifier: FittedModel
    survival: SurvivalModel

    def to_artifact(self) -> str:
        return json.dumps({"classifier": self.classifier.to_artifact(), "survival": self.survival.to_artifact()})

    @classmethod
    def from_registry(cls, version: pd.DataFrame) -> ChurnVersion | None:
        """The version of a row of the registry (`registry.REGISTRY_COLUMNS`), or None from no row (the history
        could not validate the model)."""
        if version.empty:
            return None
        artifact = json.loads(version["artifact"].item())
        return cls(FittedModel.from_artifact(artifact["classifier"]), SurvivalModel.from_artifact(artifact["survival"]))


def registered_primary(
    features: pd.DataFrame,
    decision: RetrainDecision,
    horizon_days: int,
    feature_set: FeatureSet,
    max_rows: int,
    model_params: dict,
    seed: int = 0,
) -> pd.DataFrame:
    """The churn family's version row (REGISTRY_COLUMNS): `fit_primary`, and the survival model fitted on at
    most `max_rows` rows before the scored cutoffs; no row when the history cannot validate the classifier."""
    try:
        fitted = fit_primary(features, horizon_days, feature_set, max_rows, model_params, seed)
    except Unfittable:
        return empty_frame(REGISTRY_COLUMNS)
    survival = SurvivalModel(feature_set.numeric, model_params[SURVIVAL], max_rows)
    survival.fit(features[~features["cutoff_date"].isin(_scored_cutoffs(features))])
    artifact = ChurnVersion(fitted, survival).to_artifact()
    return decision.registered(PRIMARY, features, fitted.scheme.describe(), artifact)


def _risk_tier(probability: np.ndarray, tiers: dict[str, float]) -> np.ndarray:
    """tiers maps the lower bound of medium, high and critical to a probability."""
    return np.select(
        [probability >= tiers["critical"], probability >= tiers["high"], probability >= tiers["medium"]],
        ["critical", "high", "medium"],
        "low",
    )


def risk_scores(
    features: pd.DataFrame, version: ChurnVersion | None, tiers: dict[str, float], contact_survival: float
) -> pd.DataFrame:
    """`score_risk` of the rows at the as-of cutoff, and the probability and risk tier of those at the cutoff
    before it (what the early warnings compare: its drivers and survival, TreeSHAP's and the survival model's
    work for as many rows again, are read nowhere and left null); no rows without a version."""
    if version is None or features.empty:
        return empty_frame(RISK_COLUMNS)
    *previous, current = _scored_cutoffs(features)
    explained = score_risk(features[features["cutoff_date"] == current], version, tiers, contact_survival)
    before = features[features["cutoff_date"].isin(previous)].reset_index(drop=True)
    probability = version.classifier.predict_proba(before)
    compared = pd.DataFrame(
        {
            "customer_id": before["customer_id"],
            "cutoff_date": before["cutoff_date"],
            "churn_probability": probability,
            "risk_tier": _risk_tier(probability, tiers),
            "model_name": PRIMARY,
        }
    )
    return pd.concat([compared, explained], ignore_index=True).reindex(columns=list(RISK_COLUMNS))


def score_risk(
    rows: pd.DataFrame, version: ChurnVersion, tiers: dict[str, float], contact_survival: float
) -> pd.DataFrame:
    """Churn probability, risk tier and top drivers of each row of `rows` from the version's primary model, with
    the time to churn of its survival model and the days until its survival falls to `contact_survival` (the
    latest day to intervene: RISK_COLUMNS). A row's scores depend on that row alone: the API's live scorer
    scores a customer's row as the batch does."""
    scoring = rows.reset_index(drop=True)
    fitted, survival = version.classifier, version.survival
    probability = fitted.predict_proba(scoring)
    top = np.argsort(-fitted.contributions(scoring), axis=1, kind="stable")  # pushing risk up most first
    names = np.array(fitted.columns)
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
            "days_to_contact": survival.days_until(scoring, contact_survival),
            "model_name": PRIMARY,
        }
    )


def feature_importance(features: pd.DataFrame, version: ChurnVersion | None, max_rows: int) -> pd.DataFrame:
    """Global importance of the version's primary model: total gain, and mean |SHAP| over the labelled rows
    (at most `max_rows` of them, `at_most`); no rows without a version."""
    if version is None:
        return empty_frame(IMPORTANCE_COLUMNS)
    fitted = version.classifier
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
