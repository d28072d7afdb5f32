"""The churn classifiers, and what fitting one leaves: a calibrated model with its decision threshold.

- `RecencyRule`: the floor every model must beat, risk rising with days since the last visit and order.
- Logistic regression on standardized features, with balanced class weights.
- Random forest (Breiman 2001, "Random Forests", Machine Learning 45), class-weighted per bootstrap sample.
- XGBoost (Chen & Guestrin 2016, "XGBoost: A Scalable Tree Boosting System", KDD), the primary model, with
  positive rows weighted by the class ratio.

Each is trained as a `Scheme` says, then calibrated by isotonic regression of the label on its score
(Zadrozny & Elkan 2002, "Transforming Classifier Scores into Accurate Multiclass Probability Estimates",
KDD) on rows it was not trained on, where it also takes the threshold with the best F1. `FittedModel`
holds the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from customer_scoring.churn.features import design_matrix
from customer_scoring.churn.schemes import Scheme

RULE, PRIMARY = "recency_rule", "xgboost"
CLASSIFIERS = [RULE, "logistic_regression", "random_forest", PRIMARY]


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


def estimators(positive_share: float, seed: int) -> dict:
    """The classifiers by name, unfitted; `positive_share` (of churners in training) weighs XGBoost's classes."""
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


def _calibrated_probability(classifier, calibrator: IsotonicRegression, X: pd.DataFrame) -> np.ndarray:
    """P(churn) as CalibratedClassifierCV gives it for two classes: the calibrator applied to the classifier's
    decision function when it has one (logistic regression), else to its probability."""
    if hasattr(classifier, "decision_function"):
        score = classifier.decision_function(X)
    else:
        score = classifier.predict_proba(X)[:, 1]
    probability = calibrator.predict(score).astype(float)
    probability[(probability > 1.0) & (probability <= 1.0 + 1e-5)] = 1.0  # CalibratedClassifierCV's rounding guard
    return probability


@dataclass(frozen=True)
class FittedModel:
    """A fitted classifier, its isotonic calibrator, its F1-best threshold and its design-matrix columns."""

    classifier: object
    calibrator: IsotonicRegression
    threshold: float
    columns: list[str]

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated churn probability of each row of `features`."""
        return _calibrated_probability(self.classifier, self.calibrator, design_matrix(features, self.columns))

    @property
    def booster(self) -> xgb.Booster:
        """XGBoost's booster (XGBoost models only)."""
        return self.classifier.get_booster()


def fit_models(features: pd.DataFrame, scheme: Scheme, seed: int = 0, names=None) -> dict[str, FittedModel]:
    """Train, calibrate and pick thresholds as `scheme` says (only the classifiers in `names`, if given)."""
    train, calibration = scheme.split(features, seed)
    X_train, y_train = design_matrix(train), train["churned"].astype(int)
    columns = list(X_train.columns)
    X_cal, y_cal = design_matrix(calibration, columns), calibration["churned"].astype(int)
    fitted = {}
    for name, estimator in estimators(y_train.mean(), seed).items():
        if names is not None and name not in names:
            continue
        estimator.fit(X_train, y_train)
        if isinstance(estimator, RandomForestClassifier):
            # Its prediction threads add the trees' votes in the order they finish: one thread keeps the
            # probabilities bit-identical from run to run (the fit itself is deterministic in parallel).
            estimator.set_params(n_jobs=1)
        # A frozen estimator is not refitted, so one isotonic calibrator is fitted on all calibration rows;
        # it is taken out of the wrapper so that a fitted model is two plain parts that can be written out.
        calibrated = CalibratedClassifierCV(FrozenEstimator(estimator), method="isotonic").fit(X_cal, y_cal)
        (pair,) = calibrated.calibrated_classifiers_
        (calibrator,) = pair.calibrators
        probability = _calibrated_probability(estimator, calibrator, X_cal)
        candidates = np.unique(np.quantile(probability, np.linspace(0.05, 0.95, 91)))
        threshold = max(candidates, key=lambda t: f1_score(y_cal, probability >= t))
        fitted[name] = FittedModel(estimator, calibrator, float(threshold), columns)
    return fitted
