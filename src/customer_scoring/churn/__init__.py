"""Churn: who among recently active buyers will neither order nor visit in the next horizon, and when.

Point-in-time features per (customer, cutoff) (`features`: which columns, a `FeatureSet`) train a recency
rule, logistic regression, a random forest and XGBoost (`estimators`), each calibrated (isotonic) with an
F1-best threshold, and a Weibull AFT model of the days until churn (`survival`). Validation is out of
time and as used, on cutoffs the history decides (`schemes`); holdout predictions, metrics and each
model's status come from `validation`. XGBoost, refitted once on the latest labelled cutoff, scores every
recent buyer and explains its scores with SHAP (`scoring`); that one fit is a version of the model
registry with the survival model fitted beside it (`ChurnVersion`, `customer_scoring.registry`), with the
feature columns it was fitted on. Feature lists, model settings and the
sample cap are arguments (dbt vars, through the Python models' config); which rows each Python model reads
is a filter the warehouse applies (`reads`).
"""

from customer_scoring.churn.estimators import (
    CLASSIFIERS,
    PRIMARY,
    RULE,
    FittedModel,
    RecencyRule,
    fit_models,
)
from customer_scoring.churn.features import FeatureSet
from customer_scoring.churn.reads import importance_rows, primary_fit_rows, scoring_rows, validation_rows
from customer_scoring.churn.schemes import SCHEME_COLUMNS, Scheme, scoring_scheme, validation_scheme
from customer_scoring.churn.scoring import (
    IMPORTANCE_COLUMNS,
    RISK_COLUMNS,
    ChurnVersion,
    feature_importance,
    fit_primary,
    registered_primary,
    risk_scores,
    score_risk,
)
from customer_scoring.churn.surrogate import SURROGATE_COLUMNS, surrogate_tree
from customer_scoring.churn.survival import SURVIVAL, SurvivalModel
from customer_scoring.churn.validation import (
    FAMILY,
    HOLDOUT_COLUMNS,
    METRIC_COLUMNS,
    check_models,
    holdout_predictions,
    model_metrics,
    model_status,
)

__all__ = [
    "CLASSIFIERS",
    "FAMILY",
    "HOLDOUT_COLUMNS",
    "IMPORTANCE_COLUMNS",
    "METRIC_COLUMNS",
    "PRIMARY",
    "RISK_COLUMNS",
    "RULE",
    "SCHEME_COLUMNS",
    "SURROGATE_COLUMNS",
    "SURVIVAL",
    "ChurnVersion",
    "FeatureSet",
    "FittedModel",
    "RecencyRule",
    "Scheme",
    "SurvivalModel",
    "check_models",
    "feature_importance",
    "fit_models",
    "fit_primary",
    "holdout_predictions",
    "importance_rows",
    "model_metrics",
    "model_status",
    "primary_fit_rows",
    "registered_primary",
    "risk_scores",
    "score_risk",
    "scoring_rows",
    "scoring_scheme",
    "surrogate_tree",
    "validation_rows",
    "validation_scheme",
]
