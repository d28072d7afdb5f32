"""Validate the CLV models on a holdout, pick one, and score every customer.

Input: the per-customer summaries of `int_clv_summary_by_snapshot`, at three snapshot dates one horizon
apart (train, calibration, full). Out-of-time, as a model is used:

- the buy-till-you-die models (BG/NBD, Pareto/NBD, each with Gamma-Gamma spend) fit on the calibration
  snapshot and predict the following horizon;
- the machine-learned model (XGBoost, Tweedie objective) learns the train snapshot's next-horizon spend
  from its features, then predicts the calibration snapshot's next horizon;
- the ensemble averages the ML model with the better buy-till-you-die model.

All are scored on what the calibration customers really bought in the holdout. The final scores refit on
the full snapshot with the chosen model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xgboost as xgb

from customer_scoring.clv._base import ConvergenceError, distinct_rows
from customer_scoring.clv.bgnbd import BetaGeoModel
from customer_scoring.clv.gamma_gamma import GammaGammaModel, frequency_spend_correlation
from customer_scoring.clv.pareto_nbd import ParetoNBDModel
from customer_scoring.metrics import purchase_metrics, spend_metrics

BTYD_MODELS = {"bg_nbd": BetaGeoModel, "pareto_nbd": ParetoNBDModel}
ML_MODEL, ENSEMBLE = "xgboost_tweedie", "ensemble"
SELECTION_METRIC = "spend_r2"
FEATURES = ["frequency", "recency_days", "age_days", "monetary_value", "total_revenue", "days_since_last"]
DAYS_PER_MONTH = 365.25 / 12
ML_TRAINING_ROWS = 200_000


def _rfm(frame: pd.DataFrame):
    return frame["frequency"].to_numpy(), frame["recency_days"].to_numpy(), frame["age_days"].to_numpy()


def fit_spend_model(frame: pd.DataFrame) -> GammaGammaModel:
    repeat = frame[frame["frequency"] > 0]
    return GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])


def _features(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(days_since_last=frame["age_days"] - frame["recency_days"])[FEATURES]


def fit_ml_model(train: pd.DataFrame, seed: int = 0) -> xgb.XGBRegressor:
    """XGBoost with a Tweedie objective: spend is zero for many customers and skewed for the rest.
    Trains on at most ML_TRAINING_ROWS customers: beyond that, more rows cost time and add little."""
    if len(train) > ML_TRAINING_ROWS:
        train = train.sample(n=ML_TRAINING_ROWS, random_state=seed)
    model = xgb.XGBRegressor(
        objective="reg:tweedie",
        tweedie_variance_power=1.3,
        n_estimators=200,
        learning_rate=0.08,
        max_depth=4,
        max_bin=128,
        min_child_weight=5,
        subsample=0.8,
        n_jobs=2,
        random_state=seed,
    )
    return model.fit(_features(train), train["future_revenue"])


def _snapshot(snapshots: pd.DataFrame, name: str) -> pd.DataFrame:
    frame = snapshots[snapshots["snapshot_name"] == name].reset_index(drop=True)
    if frame.empty:
        raise ValueError(f"no customers at the {name} snapshot: the observed period is too short to validate CLV")
    return frame


def holdout_predictions(snapshots: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Each model's prediction of every calibration customer's holdout purchases and spend, long format."""
    calibration, train = _snapshot(snapshots, "calibration"), _snapshot(snapshots, "train")
    horizon = float(calibration["horizon_days"].iloc[0])
    order_value = fit_spend_model(calibration).expected_order_value(
        calibration["frequency"], calibration["monetary_value"].fillna(0)
    )
    predictions = {}
    for name, model_class in BTYD_MODELS.items():
        try:
            model = model_class().fit(*_rfm(calibration))
        except ConvergenceError:
            continue  # absent from the predictions; the other models still compete
        purchases = model.expected_purchases(horizon, *_rfm(calibration))
        predictions[name] = (purchases, purchases * order_value)
    if not predictions:
        raise ConvergenceError("neither BG/NBD nor Pareto/NBD converged on the calibration data")
    actual = calibration["future_revenue"].to_numpy()
    best_btyd = max(predictions, key=lambda name: _selection_score(actual, predictions[name][1]))
    ml_spend = fit_ml_model(train, seed).predict(_features(calibration))
    spend_only = np.full(len(calibration), np.nan)  # the ML model predicts spend, not purchase counts
    predictions[ML_MODEL] = (spend_only, ml_spend)
    predictions[ENSEMBLE] = (spend_only, (ml_spend + predictions[best_btyd][1]) / 2)
    frames = [
        pd.DataFrame(
            {
                "customer_id": calibration["customer_id"],
                "first_purchase_date": calibration["first_purchase_date"],
                "model_name": name,
                "ensemble_component": name in (best_btyd, ML_MODEL),
                "predicted_purchases": purchases,
                "predicted_spend": spend,
                "actual_purchases": calibration["future_purchases"],
                "actual_spend": calibration["future_revenue"],
                "horizon_days": int(horizon),
            }
        )
        for name, (purchases, spend) in predictions.items()
    ]
    return pd.concat(frames, ignore_index=True)


def _selection_score(actual, predicted) -> float:
    return spend_metrics(actual, predicted)[SELECTION_METRIC]


def model_metrics(predictions: pd.DataFrame, snapshots: pd.DataFrame) -> pd.DataFrame:
    """Holdout metrics, one row per (model, metric); the model with the best spend R² is selected."""
    rows = []
    for name, group in predictions.groupby("model_name", sort=False):
        if name in BTYD_MODELS:
            rows += [
                (name, k, v)
                for k, v in purchase_metrics(group["actual_purchases"], group["predicted_purchases"]).items()
            ]
        rows += [(name, k, v) for k, v in spend_metrics(group["actual_spend"], group["predicted_spend"]).items()]
    metrics = pd.DataFrame(rows, columns=["model_name", "metric_name", "metric_value"])
    r2 = metrics[metrics["metric_name"] == SELECTION_METRIC].set_index("model_name")["metric_value"]
    selected = pd.DataFrame(
        {"model_name": r2.index, "metric_name": "is_selected", "metric_value": (r2.index == r2.idxmax()).astype(float)}
    )
    components = predictions.loc[predictions["ensemble_component"], "model_name"].unique()
    ensemble = pd.DataFrame({"model_name": ENSEMBLE, "metric_name": "component_" + components, "metric_value": 1.0})
    repeat = _snapshot(snapshots, "calibration").query("frequency > 0")
    independence = pd.DataFrame(
        [
            (
                "gamma_gamma",
                "frequency_spend_correlation",
                frequency_spend_correlation(repeat["frequency"], repeat["monetary_value"]),
            )
        ],
        columns=["model_name", "metric_name", "metric_value"],
    )
    return pd.concat([metrics, selected, ensemble, independence], ignore_index=True)


def selected_model(metrics: pd.DataFrame) -> tuple[str, str]:
    """The chosen model and the buy-till-you-die model that gives it p_alive and the time profile."""
    is_chosen = (metrics["metric_name"] == "is_selected") & (metrics["metric_value"] == 1)
    chosen = metrics.loc[is_chosen, "model_name"].item()
    components = metrics.loc[metrics["metric_name"].str.startswith("component_"), "metric_name"]
    btyd = next(name for name in components.str.removeprefix("component_") if name in BTYD_MODELS)
    return chosen, (chosen if chosen in BTYD_MODELS else btyd)


def score(
    snapshots: pd.DataFrame,
    metrics: pd.DataFrame,
    annual_discount_rate: float,
    seed: int = 0,
) -> pd.DataFrame:
    """Per-customer CLV at the full snapshot from the chosen model, refitted on the full history.

    The buy-till-you-die model gives p_alive, expected purchases and the month-by-month time profile; the
    ML and ensemble models re-level that profile by their ratio to it over the validation horizon.
    """
    chosen, btyd_name = selected_model(metrics)
    full, calibration = _snapshot(snapshots, "full"), _snapshot(snapshots, "calibration")
    horizon = float(full["horizon_days"].iloc[0])
    spend_model = fit_spend_model(full)
    model = BTYD_MODELS[btyd_name]().fit(*_rfm(full))
    order_value = spend_model.expected_order_value(full["frequency"], full["monetary_value"].fillna(0))

    # Customers share (frequency, recency, T) rows: predict once per distinct row, then spread back.
    codes, distinct_rfm = distinct_rows(*_rfm(full))

    def purchases(days):
        return model.expected_purchases(days, *distinct_rfm)[codes]

    level = np.ones(len(full))
    if chosen != btyd_name:
        btyd_spend = purchases(horizon) * order_value
        ml_spend = fit_ml_model(calibration, seed).predict(_features(full))
        chosen_spend = ml_spend if chosen == ML_MODEL else (ml_spend + btyd_spend) / 2
        level = (chosen_spend + 1e-9) / (btyd_spend + 1e-9)

    monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1
    cumulative = np.column_stack([np.zeros(len(full))] + [purchases(m * DAYS_PER_MONTH) for m in range(1, 13)])
    monthly_value = np.diff(cumulative, axis=1) * (order_value * level)[:, None]
    discounted = monthly_value / (1 + monthly_rate) ** np.arange(1, 13)
    clv = {months: discounted[:, :months].sum(axis=1) for months in (3, 6, 12)}
    scores = pd.DataFrame(
        {
            "customer_id": full["customer_id"],
            "p_alive": model.probability_alive(*distinct_rfm)[codes],
            "expected_purchases_30d": purchases(30),
            "expected_purchases_90d": purchases(90),
            "expected_purchases_365d": purchases(365),
            "expected_order_value": order_value,
            "clv_3m": clv[3],
            "clv_6m": clv[6],
            "clv_12m": clv[12],
        }
    )
    ranks = scores["clv_12m"].rank(method="first", ascending=True)
    scores["clv_decile"] = np.ceil(10 * ranks / len(scores)).astype("int32")
    scores["clv_model"] = chosen
    scores["as_of_date"] = full["snapshot_date"]
    return scores
