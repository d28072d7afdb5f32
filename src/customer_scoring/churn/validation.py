"""Out-of-time validation of the churn models: holdout predictions, their metrics, and each model's status.

The models the `churn_models` var names (classifiers and the survival model) predict the customers of
the last labelled cutoff, fitted only on labels that end before it (`validation_scheme`). When the history
cannot validate them, the predictions and metrics are empty and `model_status` says what history it would
take.
"""

from __future__ import annotations

import pandas as pd
from lifelines.utils import concordance_index
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from customer_scoring.churn.estimators import CLASSIFIERS, PRIMARY, fit_models
from customer_scoring.churn.features import FeatureSet
from customer_scoring.churn.schemes import horizon_ended_by, labelled_cutoffs, validation_scheme
from customer_scoring.churn.survival import SURVIVAL, SurvivalModel
from customer_scoring.metrics import lift_top_decile
from customer_scoring.status import Unfittable, empty_frame, fitted, skipped, status_frame

FAMILY = "churn"
HOLDOUT_COLUMNS = {
    **{"customer_id": "string", "churned": "int64", "days_to_churn": "int64", "churn_observed": "int64"},
    **{"model_name": "string", "churn_probability": "float64", "threshold": "float64"},
    **{"predicted_median_days": "float64", "test_cutoff_date": "datetime64[us]"},
}
METRIC_COLUMNS = {"model_name": "string", "metric_name": "string", "metric_value": "float64"}
METRIC_COLUMNS["test_cutoff_date"] = "datetime64[us]"


def check_models(models: list[str]) -> None:
    """ValueError unless `models` names known churn models, the primary (it scores) among them."""
    unknown = sorted(set(models) - {*CLASSIFIERS, SURVIVAL})
    if unknown:
        raise ValueError(f"unknown churn models {unknown}: the package knows {[*CLASSIFIERS, SURVIVAL]}")
    if PRIMARY not in models:
        raise ValueError(f"the churn models must include {PRIMARY}: it scores, so it is always validated")


def holdout_predictions(
    features: pd.DataFrame,
    horizon_days: int,
    models: list[str],
    feature_set: FeatureSet,
    max_rows: int,
    model_params: dict,
    seed: int = 0,
) -> pd.DataFrame:
    """Out-of-time predictions of each of `models` for the customers of the last labelled cutoff (none when
    the history cannot validate them: see `model_status`), each fitted on at most `max_rows` rows.

    Classifiers give churn_probability and their threshold; the survival model gives
    predicted_median_days, judged against days_to_churn and churn_observed.
    """
    check_models(models)
    try:
        scheme = validation_scheme(features, horizon_days)
    except Unfittable:
        return empty_frame(HOLDOUT_COLUMNS)
    test = features[features["cutoff_date"] == scheme.test_cutoff].reset_index(drop=True)
    base = test[["customer_id", "churned", "days_to_churn", "churn_observed"]].astype({"churned": int})
    fitted = fit_models(features, scheme, models, feature_set, max_rows, model_params, seed)
    frames = [
        base.assign(model_name=name, churn_probability=model.predict_proba(test), threshold=model.threshold)
        for name, model in fitted.items()
    ]
    if SURVIVAL in models:
        survival_cutoffs = horizon_ended_by(labelled_cutoffs(features), scheme.test_cutoff, horizon_days)
        survival = SurvivalModel(feature_set.numeric, model_params[SURVIVAL], max_rows)
        survival.fit(features[features["cutoff_date"].isin(survival_cutoffs)])
        frames.append(base.assign(model_name=SURVIVAL, predicted_median_days=survival.median_days(test)))
    predictions = pd.concat(frames, ignore_index=True)
    predictions["test_cutoff_date"] = scheme.test_cutoff
    return predictions


def model_metrics(predictions: pd.DataFrame) -> pd.DataFrame:
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
        return empty_frame(METRIC_COLUMNS)
    metrics = pd.DataFrame(rows, columns=["model_name", "metric_name", "metric_value"])
    metrics["test_cutoff_date"] = predictions["test_cutoff_date"].iloc[0]
    return metrics


def model_status(features: pd.DataFrame, metrics: pd.DataFrame, horizon_days: int, models: list[str]) -> pd.DataFrame:
    """Per churn model of `models`: fitted with its validation scheme (XGBoost is the one that scores) or
    skipped. `features` needs only the scheme's columns (SCHEME_COLUMNS)."""
    check_models(models)
    try:
        validation = validation_scheme(features, horizon_days).describe()
    except Unfittable as error:
        return status_frame([skipped(FAMILY, name, error) for name in models])
    validated = set(metrics["model_name"])
    missing = Unfittable("no validation metrics were computed", "a rerun; report this as a bug")
    return status_frame(
        [
            fitted(FAMILY, name, validation, is_selected=name == PRIMARY)
            if name in validated
            else skipped(FAMILY, name, missing)
            for name in models
        ]
    )
