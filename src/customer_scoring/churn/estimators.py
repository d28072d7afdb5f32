"""The churn classifiers, and what fitting one leaves: a calibrated model with its decision threshold.

- `RecencyRule`: the floor every model must beat, risk rising with days since the last visit and order.
- Logistic regression on standardized features, with balanced class weights.
- Random forest (Breiman 2001, "Random Forests", Machine Learning 45), class-weighted per bootstrap sample.
- XGBoost (Chen & Guestrin 2016, "XGBoost: A Scalable Tree Boosting System", KDD), the primary model, with
  positive rows weighted by the class ratio.

Each is trained as a `Scheme` says, then calibrated by isotonic regression of the label on its score
(Zadrozny & Elkan 2002, "Transforming Classifier Scores into Accurate Multiclass Probability Estimates",
KDD) on rows it was not trained on, where it also takes the threshold with the best F1. Their settings are
the `churn_model_params` var. `FittedModel` holds the result, with the feature columns it was fitted on;
an XGBoost model writes itself as JSON (in the registry's artifact) and reads itself back bit for bit, so one
fit serves every step and every run that uses it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from customer_scoring import treeshap
from customer_scoring.churn.features import FeatureSet, at_most
from customer_scoring.churn.schemes import Scheme

RULE, PRIMARY = "recency_rule", "xgboost"
CLASSIFIERS = [RULE, "logistic_regression", "random_forest", PRIMARY]
# The decision threshold is the F1-best of these quantiles of the calibrated probabilities.
THRESHOLD_QUANTILES = np.linspace(0.05, 0.95, 91)


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


def estimators(names: list[str], positive_share: float, model_params: dict, seed: int) -> dict:
    """The classifiers in `names` by name, unfitted, with their settings from `model_params`;
    `positive_share` (of churners in training) weighs XGBoost's classes."""
    build = {
        RULE: RecencyRule,
        "logistic_regression": lambda: make_pipeline(
            StandardScaler(), LogisticRegression(class_weight="balanced", **model_params["logistic_regression"])
        ),
        "random_forest": lambda: RandomForestClassifier(
            **model_params["random_forest"], class_weight="balanced_subsample", n_jobs=2, random_state=seed
        ),
        PRIMARY: lambda: xgb.XGBClassifier(
            **model_params[PRIMARY],
            scale_pos_weight=(1 - positive_share) / positive_share,
            n_jobs=2,
            random_state=seed,
        ),
    }
    return {name: make() for name, make in build.items() if name in names}


def _score(classifier, X: pd.DataFrame) -> np.ndarray:
    """What the calibrator maps, as scikit-learn's CalibratedClassifierCV takes it for two classes: the
    classifier's decision function when it has one (logistic regression), else its probability of churn."""
    if hasattr(classifier, "decision_function"):
        return classifier.decision_function(X)
    return classifier.predict_proba(X)[:, 1]


def _calibrated(calibrator: IsotonicRegression, score: np.ndarray) -> np.ndarray:
    """P(churn) of `score`, as CalibratedClassifierCV gives it."""
    probability = calibrator.predict(score).astype(float)
    probability[(probability > 1.0) & (probability <= 1.0 + 1e-5)] = 1.0  # CalibratedClassifierCV's rounding guard
    return probability


def _f1_best_threshold(y: np.ndarray, probability: np.ndarray) -> float:
    """The first of the THRESHOLD_QUANTILES of `probability` whose rule `probability >= threshold` has the best
    F1 on `y`. F1 is 2 TP / (positives + predicted positives), each count read off one sort, the same float as
    scikit-learn's f1_score gives."""
    candidates = np.unique(np.quantile(probability, THRESHOLD_QUANTILES))
    ranked = np.sort(probability)
    positives = np.sort(probability[y == 1])
    predicted = len(ranked) - np.searchsorted(ranked, candidates, side="left")
    true_positives = len(positives) - np.searchsorted(positives, candidates, side="left")
    f1 = 2.0 * true_positives / (len(positives) + predicted)
    return float(candidates[np.argmax(f1)])


@dataclass(frozen=True)
class FittedModel:
    """A classifier trained and calibrated as `scheme` says, its F1-best threshold, the feature columns it
    read and its design-matrix columns."""

    classifier: object
    calibrator: IsotonicRegression
    threshold: float
    features: FeatureSet
    columns: list[str]
    scheme: Scheme

    def design_matrix(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The model's design matrix of `rows`: the features it was fitted on, in its columns."""
        return self.features.design_matrix(rows, self.columns)

    def predict_proba(self, rows: pd.DataFrame) -> np.ndarray:
        """Calibrated churn probability of each row of `rows`."""
        return _calibrated(self.calibrator, _score(self.classifier, self.design_matrix(rows)))

    @property
    def booster(self) -> xgb.Booster:
        """XGBoost's booster (XGBoost models only)."""
        return self.classifier.get_booster()

    @cached_property
    def explainer(self) -> treeshap.Explainer:
        """The booster's TreeSHAP tables, built on first use and kept with the model (XGBoost models only)."""
        return treeshap.Explainer(self.booster)

    def contributions(self, rows: pd.DataFrame) -> np.ndarray:
        """SHAP contributions to XGBoost's raw margin, one column per design-matrix column (`treeshap`)."""
        return self.explainer.contributions(self.design_matrix(rows))

    def to_artifact(self) -> dict:
        """An XGBoost model as JSON-ready values, without pickle: the booster in XGBoost's JSON format, the calibrator's
        settings and fitted thresholds (exact: every float32 is a float64 and JSON writes floats round-trip),
        the threshold, the feature and design-matrix columns and the training scheme's cutoffs."""
        calibrator = {
            "params": self.calibrator.get_params(),
            "dtype": self.calibrator.X_thresholds_.dtype.name,
            "X_thresholds_": self.calibrator.X_thresholds_.tolist(),
            "y_thresholds_": self.calibrator.y_thresholds_.tolist(),
        }
        cutoffs = asdict(self.scheme).items()
        scheme = {name: None if day is None else f"{pd.Timestamp(day):%Y-%m-%d}" for name, day in cutoffs}
        return {
            "booster": self.booster.save_raw("json").decode(),
            "calibrator": calibrator,
            "threshold": self.threshold,
            "features": asdict(self.features),
            "columns": self.columns,
            "scheme": scheme,
        }

    @classmethod
    def from_artifact(cls, saved: dict) -> FittedModel:
        """The model `to_artifact` wrote."""
        classifier = xgb.XGBClassifier()
        classifier.load_model(bytearray(saved["booster"], "utf-8"))
        calibration = saved["calibrator"]
        # The thresholds never decrease and repeat a value at most twice in a row (a fit keeps only the ends
        # of a run), so isotonic regression of them gives them back bit for bit (the mean of a pair of equal
        # values is exact): the calibrator is rebuilt through its public fit, not by setting private state.
        thresholds = (np.array(calibration[k], dtype=calibration["dtype"]) for k in ("X_thresholds_", "y_thresholds_"))
        calibrator = IsotonicRegression(**calibration["params"]).fit(*thresholds)
        scheme = Scheme(**{name: None if day is None else pd.Timestamp(day) for name, day in saved["scheme"].items()})
        features = FeatureSet(**saved["features"])
        return cls(classifier, calibrator, float(saved["threshold"]), features, saved["columns"], scheme)


def fit_models(
    features: pd.DataFrame,
    scheme: Scheme,
    names: list[str],
    feature_set: FeatureSet,
    max_rows: int,
    model_params: dict,
    seed: int = 0,
) -> dict[str, FittedModel]:
    """Train the classifiers in `names` on at most `max_rows` rows of `feature_set`, calibrate them and pick
    their thresholds, as `scheme` says."""
    train, calibration = scheme.split(features)
    train = at_most(train, max_rows)
    X_train, y_train = feature_set.design_matrix(train), train["churned"].astype(int)
    columns = list(X_train.columns)
    X_cal, y_cal = feature_set.design_matrix(calibration, columns), calibration["churned"].astype(int).to_numpy()
    fitted = {}
    for name, estimator in estimators(names, y_train.mean(), model_params, seed).items():
        estimator.fit(X_train, y_train)
        if isinstance(estimator, RandomForestClassifier):
            # Its prediction threads add the trees' votes in the order they finish: one thread keeps the
            # probabilities bit-identical from run to run (the fit itself is deterministic in parallel).
            estimator.set_params(n_jobs=1)
        # One isotonic calibrator on all calibration rows, as CalibratedClassifierCV fits it on a frozen
        # estimator, from one prediction of them that the threshold reads too.
        score = _score(estimator, X_cal)
        calibrator = IsotonicRegression(out_of_bounds="clip").fit(score, y_cal)
        threshold = _f1_best_threshold(y_cal, _calibrated(calibrator, score))
        fitted[name] = FittedModel(estimator, calibrator, threshold, feature_set, columns, scheme)
    return fitted
