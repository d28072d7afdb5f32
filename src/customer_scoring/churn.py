"""Churn models over point-in-time features: a recency rule, logistic regression, random forest and XGBoost.

Validation is out of time and as used: models are scored on the last labelled cutoff; they are
calibrated (isotonic) and their decision threshold chosen (best F1) on the latest cutoff whose label
horizon ends by then, and trained on the cutoffs whose label horizons end by the calibration cutoff, so
no label used for fitting looks past the cutoff it is judged on. Class imbalance is handled with class
weights. For the final scores XGBoost is refitted the same way with the latest labelled cutoff as the
calibration cutoff and scores the as-of cutoff and the one before it; its SHAP contributions
(`pred_contribs`) name each customer's top three risk drivers.

History decides the scheme (`validation_scheme`). The full scheme needs three nested horizons: train
cutoffs whose labels end by the calibration cutoff, whose label ends by the test cutoff, whose label
ends by the as-of date. With only two, the models calibrate on a held-out third of the training
customers instead of a later cutoff. With less, or with one class only, nothing is fitted: the functions
return empty frames and `model_status` says what history it would take.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xgboost as xgb
from lifelines import WeibullAFTFitter
from lifelines.utils import concordance_index
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from customer_scoring.metrics import lift_top_decile
from customer_scoring.status import Unfittable, fitted, skipped, status_frame

NUMERIC = [
    "days_since_last_order",
    "days_since_last_activity",
    "days_since_first_order",
    "tenure_days",
    "lifetime_orders",
    "lifetime_revenue",
    "orders_last_horizon",
    "orders_last_365d",
    "revenue_last_horizon",
    "revenue_last_365d",
    "sessions_last_30d",
    "sessions_previous_30d",
    "usage_minutes_last_30d",
    "usage_minutes_previous_30d",
    "features_clicked_last_30d",
    "active_days_last_horizon",
]
CATEGORICAL = ["plan", "acquisition_channel"]
RULE, PRIMARY, SURVIVAL = "recency_rule", "xgboost", "weibull_aft"
FAMILY = "churn"
CLASSIFIERS = [RULE, "logistic_regression", "random_forest", PRIMARY]
# Models fit (and SHAP is averaged) on a random sample of at most this many feature rows: 1M customers
# give ~14M (customer, cutoff) rows, which no longer fit in memory, while the fit barely moves past this.
MAX_FIT_ROWS = 250_000


def _at_most(rows: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    return rows if len(rows) <= MAX_FIT_ROWS else rows.sample(MAX_FIT_ROWS, random_state=seed)


def design_matrix(features: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Numeric features plus one-hot categories, aligned to `columns` when given (scoring time)."""
    matrix = pd.get_dummies(features[NUMERIC + CATEGORICAL], columns=CATEGORICAL, dtype=float).astype(float)
    return matrix if columns is None else matrix.reindex(columns=columns, fill_value=0.0)


class RecencyRule(ClassifierMixin, BaseEstimator):
    """The floor every model must beat: risk rises with days since the last visit and the last order."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        self.scale_ = float(X["days_since_last_activity"].max() + X["days_since_last_order"].max() / 4 or 1.0)
        return self

    def predict_proba(self, X):
        risk = np.clip((X["days_since_last_activity"] + X["days_since_last_order"] / 4) / self.scale_, 0, 1)
        return np.column_stack([1 - risk, risk])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def _estimators(positive_share: float, seed: int) -> dict:
    return {
        RULE: RecencyRule(),
        "logistic_regression": make_pipeline(
            StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=2000)
        ),
        "random_forest": RandomForestClassifier(
            n_estimators=200, min_samples_leaf=20, class_weight="balanced_subsample", n_jobs=2, random_state=seed
        ),
        PRIMARY: xgb.XGBClassifier(
            n_estimators=400,
            learning_rate=0.05,
            max_depth=4,
            min_child_weight=10,
            subsample=0.8,
            colsample_bytree=0.8,
            scale_pos_weight=(1 - positive_share) / positive_share,
            n_jobs=2,
            random_state=seed,
        ),
    }


@dataclass
class FittedModel:
    model: object  # calibrated classifier
    threshold: float
    columns: list[str]

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(design_matrix(features, self.columns))[:, 1]

    @property
    def booster(self) -> xgb.Booster:
        """The XGBoost booster inside the calibrated, frozen wrapper."""
        return self.model.estimator.estimator.get_booster()


def _labelled_cutoffs(features: pd.DataFrame) -> list:
    return sorted(features.loc[features["churned"].notna(), "cutoff_date"].unique())


def _horizon_ended_by(cutoffs: list, date, horizon_days: int) -> list:
    """The cutoffs whose label horizon is over by `date`."""
    return [c for c in cutoffs if pd.Timestamp(c) + pd.Timedelta(days=horizon_days) <= pd.Timestamp(date)]


@dataclass(frozen=True)
class Scheme:
    """Which labelled rows train, calibrate and test a model. Without a calibration cutoff, a held-out
    third of the training customers calibrates (and picks the threshold) instead."""

    train_cutoffs: list
    calibration_cutoff: object | None
    test_cutoff: object | None = field(default=None)

    def split(self, features: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
        labelled = features[features["churned"].notna()]
        train = labelled[labelled["cutoff_date"].isin(self.train_cutoffs)]
        if self.calibration_cutoff is not None:
            return _at_most(train, seed), labelled[labelled["cutoff_date"] == self.calibration_cutoff]
        held_out = pd.util.hash_pandas_object(train["customer_id"], index=False).to_numpy() % 3 == 0
        return _at_most(train[~held_out], seed), train[held_out]

    def describe(self) -> str:
        train = f"train on cutoffs {_day(self.train_cutoffs[0])} to {_day(self.train_cutoffs[-1])}"
        if self.calibration_cutoff is None:
            calibrate = "calibrate on a held-out third of their customers"
        else:
            calibrate = f"calibrate at {_day(self.calibration_cutoff)}"
        return f"{train}, {calibrate}, test at {_day(self.test_cutoff)}"


def _day(cutoff) -> str:
    return f"{pd.Timestamp(cutoff):%Y-%m-%d}"


def _scheme_before(cutoffs: list, date, horizon_days: int) -> Scheme | None:
    """The longest scheme whose labels all end by `date` (None: not even two nested horizons)."""
    ended = _horizon_ended_by(cutoffs, date, horizon_days)
    if not ended:
        return None
    train = _horizon_ended_by(ended, ended[-1], horizon_days)
    return Scheme(train, ended[-1]) if train else Scheme(ended, None)


def _requirement(horizon_days: int) -> str:
    return (
        f"a month end with active buyers at least {2 * horizon_days} days before the as-of date, so that one "
        f"{horizon_days}-day outcome ends before a later cutoff whose outcome is known; "
        f"{3 * horizon_days} days to also calibrate on a later cutoff"
    )


def _check_classes(rows: pd.DataFrame, role: str, horizon_days: int) -> None:
    if rows["churned"].nunique() < 2:
        raise Unfittable(
            f"the {role} rows hold only one class ({len(rows)} rows): churn cannot be learned or judged there",
            f"customers who churn and customers who stay at the {role} cutoffs; {_requirement(horizon_days)}",
        )


def validation_scheme(features: pd.DataFrame, horizon_days: int) -> Scheme:
    """Test on the last labelled cutoff, with the longest scheme before it; Unfittable if there is none."""
    cutoffs = _labelled_cutoffs(features)
    scheme = _scheme_before(cutoffs[:-1], cutoffs[-1], horizon_days) if cutoffs else None
    if scheme is None:
        known = f"{len(cutoffs)} cutoff(s) with a known {horizon_days}-day outcome"
        raise Unfittable(f"{known}, none ending before another", _requirement(horizon_days))
    scheme = Scheme(scheme.train_cutoffs, scheme.calibration_cutoff, cutoffs[-1])
    train, calibration = scheme.split(features)
    _check_classes(train, "training", horizon_days)
    _check_classes(calibration, "calibration", horizon_days)
    _check_classes(features[features["cutoff_date"] == cutoffs[-1]], "test", horizon_days)
    return scheme


def scoring_scheme(features: pd.DataFrame, horizon_days: int) -> Scheme:
    """The final fit: the validated scheme moved forward, calibrating on the latest labelled cutoff."""
    validation_scheme(features, horizon_days)  # no scores from a model that could not be validated
    cutoffs = _labelled_cutoffs(features)
    train = _horizon_ended_by(cutoffs, cutoffs[-1], horizon_days)
    return Scheme(train, cutoffs[-1]) if train else Scheme(cutoffs, None)


def fit_models(features: pd.DataFrame, scheme: Scheme, seed: int = 0, names=None) -> dict[str, FittedModel]:
    """Train, calibrate and pick thresholds as `scheme` says."""
    train, calibration = scheme.split(features, seed)
    X_train, y_train = design_matrix(train), train["churned"].astype(int)
    X_cal, y_cal = design_matrix(calibration, list(X_train.columns)), calibration["churned"].astype(int)
    fitted = {}
    for name, estimator in _estimators(y_train.mean(), seed).items():
        if names is not None and name not in names:
            continue
        estimator.fit(X_train, y_train)
        if isinstance(estimator, RandomForestClassifier):
            # Its prediction threads add the trees' votes in the order they finish: one thread keeps the
            # probabilities bit-identical from run to run (the fit itself is deterministic in parallel).
            estimator.set_params(n_jobs=1)
        calibrated = CalibratedClassifierCV(FrozenEstimator(estimator), method="isotonic").fit(X_cal, y_cal)
        probability = calibrated.predict_proba(X_cal)[:, 1]
        candidates = np.unique(np.quantile(probability, np.linspace(0.05, 0.95, 91)))
        threshold = max(candidates, key=lambda t: f1_score(y_cal, probability >= t))
        fitted[name] = FittedModel(calibrated, float(threshold), list(X_train.columns))
    return fitted


class SurvivalModel:
    """Weibull AFT (lifelines) on log-scaled, standardized features: days from a cutoff until churn,
    with customers not yet churned censored at their latest activity."""

    def fit(self, rows: pd.DataFrame) -> SurvivalModel:
        rows = _at_most(rows)
        X = np.log1p(rows[NUMERIC].clip(lower=0))
        self.scaler_ = StandardScaler().fit(X)
        data = pd.DataFrame(self.scaler_.transform(X), columns=NUMERIC)
        data["duration"] = rows["days_to_churn"].to_numpy() + 1.0  # Weibull needs positive durations
        data["observed"] = rows["churn_observed"].to_numpy()
        self.fitter_ = WeibullAFTFitter(penalizer=0.01).fit(data, "duration", "observed")
        return self

    def _design(self, rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(self.scaler_.transform(np.log1p(rows[NUMERIC].clip(lower=0))), columns=NUMERIC)

    def median_days(self, rows: pd.DataFrame) -> np.ndarray:
        """Median days to churn: the mean of a Weibull with shape < 1 is ruled by its far tail."""
        return np.clip(self.fitter_.predict_median(self._design(rows)).to_numpy() - 1.0, 0, None)

    def survival(self, rows: pd.DataFrame, days: list[int]) -> np.ndarray:
        """P(not churned after each of `days`), one column per day."""
        times = [d + 1.0 for d in days]
        return self.fitter_.predict_survival_function(self._design(rows), times=times).to_numpy().T


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns)).astype(columns)


HOLDOUT_COLUMNS = {
    **{"customer_id": "string", "churned": "int64", "days_to_churn": "int64", "churn_observed": "int64"},
    **{"model_name": "string", "churn_probability": "float64", "threshold": "float64"},
    **{"predicted_median_days": "float64", "test_cutoff_date": "datetime64[us]"},
}


def holdout_predictions(features: pd.DataFrame, horizon_days: int, seed: int = 0) -> pd.DataFrame:
    """Every model's out-of-time predictions for the customers of the last labelled cutoff (none when the
    history cannot validate them: see `model_status`).

    Classifiers give churn_probability and their threshold; the survival model gives
    predicted_median_days, judged against days_to_churn and churn_observed.
    """
    try:
        scheme = validation_scheme(features, horizon_days)
    except Unfittable:
        return _empty(HOLDOUT_COLUMNS)
    test = features[features["cutoff_date"] == scheme.test_cutoff].reset_index(drop=True)
    base = test[["customer_id", "churned", "days_to_churn", "churn_observed"]].astype({"churned": int})
    frames = [
        base.assign(model_name=name, churn_probability=fitted.predict_proba(test), threshold=fitted.threshold)
        for name, fitted in fit_models(features, scheme, seed).items()
    ]
    survival_cutoffs = _horizon_ended_by(_labelled_cutoffs(features), scheme.test_cutoff, horizon_days)
    survival = SurvivalModel().fit(features[features["cutoff_date"].isin(survival_cutoffs)])
    frames.append(base.assign(model_name=SURVIVAL, predicted_median_days=survival.median_days(test)))
    predictions = pd.concat(frames, ignore_index=True)
    predictions["test_cutoff_date"] = scheme.test_cutoff
    return predictions


def validation_metrics(predictions: pd.DataFrame) -> pd.DataFrame:
    """Out-of-time metrics from `holdout_predictions`, one row per (model, metric)."""
    rows = []
    for name, model in predictions.groupby("model_name", sort=False):
        y = model["churned"].to_numpy()
        if name == SURVIVAL:
            concordance = concordance_index(
                model["days_to_churn"], model["predicted_median_days"], model["churn_observed"]
            )
            rows.append((name, "concordance_index", float(concordance)))
            continue
        probability, threshold = model["churn_probability"].to_numpy(), float(model["threshold"].iloc[0])
        predicted = probability >= threshold
        metrics = {
            "roc_auc": roc_auc_score(y, probability),
            "pr_auc": average_precision_score(y, probability),
            "precision": precision_score(y, predicted, zero_division=0),
            "recall": recall_score(y, predicted),
            "f1": f1_score(y, predicted),
            "brier_score": brier_score_loss(y, probability),
            "lift_top_decile": lift_top_decile(y, probability),
            "threshold": threshold,
            "test_customers": float(len(y)),
            "test_churn_rate": float(y.mean()),
        }
        rows += [(name, metric, float(value)) for metric, value in metrics.items()]
    if not rows:
        return _empty(METRIC_COLUMNS)
    metrics = pd.DataFrame(rows, columns=["model_name", "metric_name", "metric_value"])
    metrics["test_cutoff_date"] = predictions["test_cutoff_date"].iloc[0]
    return metrics


METRIC_COLUMNS = {"model_name": "string", "metric_name": "string", "metric_value": "float64"}
METRIC_COLUMNS["test_cutoff_date"] = "datetime64[us]"


def model_status(features: pd.DataFrame, metrics: pd.DataFrame, horizon_days: int) -> pd.DataFrame:
    """Per churn model: fitted with its validation scheme (XGBoost is the one that scores) or skipped."""
    try:
        validation = validation_scheme(features, horizon_days).describe()
    except Unfittable as error:
        return status_frame([skipped(FAMILY, name, error) for name in [*CLASSIFIERS, SURVIVAL]])
    validated = set(metrics["model_name"])
    missing = Unfittable("no validation metrics were computed", "a rerun; report this as a bug")
    return status_frame(
        [
            fitted(FAMILY, name, validation, is_selected=name == PRIMARY)
            if name in validated
            else skipped(FAMILY, name, missing)
            for name in [*CLASSIFIERS, SURVIVAL]
        ]
    )


def _risk_tier(probability: np.ndarray, tiers: dict[str, float]) -> np.ndarray:
    """tiers maps the lower bound of medium, high and critical to a probability."""
    return np.select(
        [probability >= tiers["critical"], probability >= tiers["high"], probability >= tiers["medium"]],
        ["critical", "high", "medium"],
        "low",
    )


def fit_primary(features: pd.DataFrame, horizon_days: int, seed: int = 0) -> FittedModel:
    """XGBoost calibrated on the latest labelled cutoff, for the final scores; Unfittable when the history
    cannot validate it."""
    return fit_models(features, scoring_scheme(features, horizon_days), seed, names=[PRIMARY])[PRIMARY]


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
        return _empty(RISK_COLUMNS)
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


RISK_COLUMNS = {"customer_id": "string", "cutoff_date": "datetime64[us]", "churn_probability": "float64"}
RISK_COLUMNS |= {column: "string" for column in ("risk_tier", "driver_1", "driver_2", "driver_3")}
RISK_COLUMNS |= {column: "float64" for column in ("median_days_to_churn", "survival_30d", "survival_90d")}
RISK_COLUMNS["model_name"] = "string"
IMPORTANCE_COLUMNS = {"feature_name": "string", "total_gain": "float64", "mean_abs_shap": "float64"}
IMPORTANCE_COLUMNS |= {"importance_share": "float64", "importance_rank": "int64"}


def feature_importance(features: pd.DataFrame, horizon_days: int, seed: int = 0) -> pd.DataFrame:
    """Global importance of the primary model: total gain and mean |SHAP| over the labelled rows."""
    try:
        fitted = fit_primary(features, horizon_days, seed)
    except Unfittable:
        return _empty(IMPORTANCE_COLUMNS)
    labelled = _at_most(features[features["churned"].notna()], seed)
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
