"""Validate the CLV models on a holdout, pick one, and score every customer.

Input: the per-customer summaries of `int_clv_summary_by_snapshot`, at three snapshot dates one horizon
apart (train, calibration, full). Out-of-time, as a model is used:

- the buy-till-you-die models (BG/NBD, Pareto/NBD, each with Gamma-Gamma spend) fit on the calibration
  snapshot and predict the following horizon;
- the machine-learned models (XGBoost with a Tweedie objective, and a neural network,
  `customer_scoring.clv.neural`, on the summary features alone (mlp) and with the monthly spend sequence
  beside them (mlp_sequence)) learn the train snapshot's next-horizon spend from its features, then predict
  the calibration snapshot's next horizon;
- the ensemble averages the best ML model with the better buy-till-you-die model (`ensemble_component` in
  the holdout predictions marks the two).

All are scored on what the calibration customers really bought in the holdout; `model_status` selects the
one with the best spend R² (its `is_selected`). That model, refitted on the full snapshot, is the family's
version in the model registry (`fit_version`, `ClvVersion`, `customer_scoring.registry`): `score` scores
every customer with it, in the run that fitted it and in every later run that keeps it. A model the data
cannot fit or validate (`requirements`) is left out, and `model_status` says
why; with no buy-till-you-die model left, nothing is scored.

Spend: Gamma-Gamma fits the customers whose repeat purchases have a positive mean value (zero-value
orders, such as free items, still count as purchases). A repeat customer whose mean is 0 gets the
model's conditional expectation at m = 0, p v / (p x + q - 1): the population mean shrunk towards 0 the
more zero-value repeats they made. Where Gamma-Gamma cannot be fitted, each customer's own mean
purchase value stands in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xgboost as xgb

from customer_scoring.clv._base import (
    MIN_CUSTOMERS,
    ConvergenceError,
    check_fittable,
    compress,
    days_between_orders,
    days_to_next_purchase,
    distinct_rows,
)
from customer_scoring.clv.bgnbd import BetaGeoModel
from customer_scoring.clv.gamma_gamma import GammaGammaModel, frequency_spend_correlation
from customer_scoring.clv.neural import NeuralSpendModel
from customer_scoring.clv.pareto_nbd import ParetoNBDModel
from customer_scoring.metrics import propensity_metrics, purchase_metrics, spend_metrics
from customer_scoring.registry import REGISTRY_COLUMNS, RetrainDecision
from customer_scoring.status import Unfittable, empty_frame, fitted, skipped, status_frame

BTYD_MODELS = {"bg_nbd": BetaGeoModel, "pareto_nbd": ParetoNBDModel}
ML_MODELS = ("xgboost_tweedie", "mlp", "mlp_sequence")
NEURAL_MODELS = ("mlp", "mlp_sequence")
ENSEMBLE, SPEND_MODEL = "ensemble", "gamma_gamma"
FAMILY = "clv"
SELECTION_METRIC = "spend_r2"
FEATURES = ["frequency", "recency_days", "age_days", "monetary_value", "total_revenue", "days_since_last"]
# The monthly spend sequence of int_clv_summary_by_snapshot (spend_month_1, the latest, ...): mlp_sequence reads it.
SEQUENCE_PREFIX = "spend_month_"
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class MLSettings:
    """The machine-learned models' settings: XGBoost's (the `clv_xgboost_params` var: everything but the Tweedie
    objective, the seed and the threads), the neural network's (`clv_mlp_params`: MLPRegressor's keyword
    arguments but the seed), and the most customers they train on (`clv_ml_training_rows`)."""

    xgboost_params: dict
    mlp_params: dict
    training_rows: int


def rfm(frame: pd.DataFrame):
    """A summary frame's repeat purchases, recency and age, as the buy-till-you-die models take them."""
    return frame["frequency"].to_numpy(), frame["recency_days"].to_numpy(), frame["age_days"].to_numpy()


def _positive_repeat(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame["frequency"] > 0) & (frame["monetary_value"] > 0)]


def _check_spend(frame: pd.DataFrame) -> None:
    repeat = len(_positive_repeat(frame))
    if repeat < MIN_CUSTOMERS:
        raise Unfittable(
            f"{repeat} customers have repeat purchases of positive value",
            f"at least {MIN_CUSTOMERS} such customers; meanwhile each customer's mean purchase value stands in",
        )


def fit_spend_model(frame: pd.DataFrame) -> GammaGammaModel:
    """Gamma-Gamma on the customers whose repeat purchases have a positive mean value."""
    _check_spend(frame)
    repeat = _positive_repeat(frame)
    return GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])


def expected_order_value(frame: pd.DataFrame, spend_model: GammaGammaModel | None) -> np.ndarray:
    """Gamma-Gamma's expected value of a customer's next order or, without it, their own mean purchase value."""
    if spend_model is None:
        return (frame["total_revenue"] / (frame["frequency"] + 1)).to_numpy(dtype=float)
    return spend_model.expected_order_value(frame["frequency"], frame["monetary_value"].fillna(0))


def _features(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """What the ML model `name` reads: the summary features, and for mlp_sequence the monthly spend sequence."""
    sequence = (
        [column for column in frame.columns if column.startswith(SEQUENCE_PREFIX)] if name == "mlp_sequence" else []
    )
    return frame.assign(days_since_last=frame["age_days"] - frame["recency_days"])[FEATURES + sequence]


def fit_ml_model(name: str, train: pd.DataFrame, settings: MLSettings, seed: int = 0):
    """The ML model `name` (ML_MODELS) fitted on next-horizon spend. XGBoost has a Tweedie objective: spend is
    zero for many customers and skewed for the rest. Each trains on a sample of at most
    `settings.training_rows` customers: beyond that, more rows cost time and add little. XGBoost runs on two
    threads, always: their order of adding partial sums moves the fit slightly."""
    if len(train) > settings.training_rows:
        train = train.sample(n=settings.training_rows, random_state=seed)
    if name in NEURAL_MODELS:
        return NeuralSpendModel().fit(_features(train, name), train["future_revenue"], settings.mlp_params, seed)
    model = xgb.XGBRegressor(objective="reg:tweedie", n_jobs=2, random_state=seed, **settings.xgboost_params)
    return model.fit(_features(train, name), train["future_revenue"])


def _snapshot(snapshots: pd.DataFrame, name: str) -> pd.DataFrame:
    return snapshots[snapshots["snapshot_name"] == name].reset_index(drop=True)


def _check_btyd(frame: pd.DataFrame, snapshot: str) -> None:
    try:
        check_fittable(compress(*rfm(frame)))
    except ValueError as error:
        raise Unfittable(
            f"at the {snapshot} snapshot: {error}",
            f"at least {MIN_CUSTOMERS} customers who bought before the {snapshot} date, some of them twice or more "
            "(the calibration date is one holdout horizon, the last clv_holdout_share of the history, before "
            "the as-of date)",
        ) from None


def _check_ml(train: pd.DataFrame) -> None:
    if len(train) < MIN_CUSTOMERS or not (train["future_revenue"] > 0).any():
        raise Unfittable(
            f"{len(train)} customers bought before the train snapshot, two holdout horizons before the as-of date",
            f"at least {MIN_CUSTOMERS} customers who bought before it and spend in the horizon after it",
        )


def _error(check, *args) -> Unfittable | None:
    try:
        check(*args)
    except Unfittable as error:
        return error
    return None


def requirements(snapshots: pd.DataFrame) -> dict[str, Unfittable | None]:
    """Per model, why the data cannot validate and fit it (None: it can)."""
    btyd = _error(_check_btyd, _snapshot(snapshots, "calibration"), "calibration") or _error(
        _check_btyd, _snapshot(snapshots, "full"), "full"
    )
    ml = btyd or _error(_check_ml, _snapshot(snapshots, "train"))
    spend = _error(_check_spend, _snapshot(snapshots, "calibration"))
    return {**dict.fromkeys(BTYD_MODELS, btyd), SPEND_MODEL: spend, **dict.fromkeys(ML_MODELS, ml), ENSEMBLE: ml}


PREDICTION_COLUMNS = {
    "customer_id": "string",
    "first_purchase_date": "datetime64[us]",
    "calibration_frequency": "int64",
    "model_name": "string",
    "ensemble_component": "bool",
    "predicted_purchases": "float64",
    "predicted_spend": "float64",
    "predicted_purchase_probability": "float64",
    "actual_purchases": "int64",
    "actual_spend": "float64",
    "actual_window_purchases": "int64",
    "horizon_days": "int64",
}


# `model_metrics`: one row per (model, metric).
METRIC_COLUMNS = {"model_name": "string", "metric_name": "string", "metric_value": "float64"}


SCORE_COLUMNS = {
    "customer_id": "string",
    **{c: "float64" for c in ("p_alive", "expected_purchases_30d", "expected_purchases_90d")},
    **{c: "float64" for c in ("expected_purchases_365d", "expected_order_value", "clv_3m", "clv_6m", "clv_12m")},
    **{c: "float64" for c in ("purchase_probability", "days_to_next_order", "days_between_orders")},
    "observed_days_between_orders": "float64",
    "clv_decile": "int32",
    "clv_model": "string",
    "as_of_date": "datetime64[us]",
}


def holdout_predictions(
    snapshots: pd.DataFrame, ml_settings: MLSettings, propensity_days: int, seed: int = 0
) -> pd.DataFrame:
    """Each model's prediction of every calibration customer's holdout purchases and spend (and, from the
    buy-till-you-die models, the probability of a purchase in the first `propensity_days` of the holdout), long
    format. Models the data cannot validate are left out; with no buy-till-you-die model, the frame is empty."""
    calibration, train = _snapshot(snapshots, "calibration"), _snapshot(snapshots, "train")
    possible = {name for name, error in requirements(snapshots).items() if error is None}
    predictions = {}
    if possible & set(BTYD_MODELS):
        horizon = float(calibration["horizon_days"].iloc[0])
        spend_model = fit_spend_model(calibration) if SPEND_MODEL in possible else None
        order_value = expected_order_value(calibration, spend_model)
    for name, model_class in BTYD_MODELS.items():
        if name not in possible:
            continue
        try:
            model = model_class().fit(*rfm(calibration))
        except ConvergenceError:
            continue  # absent from the predictions; the other models still compete
        purchases = model.expected_purchases(horizon, *rfm(calibration))
        bought = model.probability_of_purchase(float(propensity_days), *rfm(calibration))
        predictions[name] = (purchases, purchases * order_value, bought)
    if not predictions:
        return empty_frame(PREDICTION_COLUMNS)
    actual = calibration["future_revenue"].to_numpy()
    best_btyd = max(predictions, key=lambda name: _selection_score(actual, predictions[name][1]))
    best_ml = None
    if ENSEMBLE in possible:
        spend_only = np.full(len(calibration), np.nan)  # the ML models predict spend, not purchases
        for name in ML_MODELS:
            ml_spend = fit_ml_model(name, train, ml_settings, seed).predict(_features(calibration, name))
            predictions[name] = (spend_only, ml_spend, spend_only)
        best_ml = max(ML_MODELS, key=lambda name: _selection_score(actual, predictions[name][1]))
        ensemble = (predictions[best_ml][1] + predictions[best_btyd][1]) / 2
        predictions[ENSEMBLE] = (spend_only, ensemble, spend_only)
    frames = [
        pd.DataFrame(
            {
                "customer_id": calibration["customer_id"],
                "first_purchase_date": calibration["first_purchase_date"],
                "calibration_frequency": calibration["frequency"],
                "model_name": name,
                "ensemble_component": name in (best_btyd, best_ml),
                "predicted_purchases": purchases,
                "predicted_spend": spend,
                "predicted_purchase_probability": bought,
                "actual_purchases": calibration["future_purchases"],
                "actual_spend": calibration["future_revenue"],
                "actual_window_purchases": calibration["future_window_purchases"],
                "horizon_days": int(horizon),
            }
        )
        for name, (purchases, spend, bought) in predictions.items()
    ]
    return pd.concat(frames, ignore_index=True).astype(PREDICTION_COLUMNS)


def _selection_score(actual, predicted) -> float:
    return spend_metrics(actual, predicted)[SELECTION_METRIC]


def model_metrics(predictions: pd.DataFrame, snapshots: pd.DataFrame) -> pd.DataFrame:
    """Holdout metrics, one row per (model, metric), and the spend model's frequency-spend correlation."""
    rows = []
    for name, group in predictions.groupby("model_name", sort=False):
        if name in BTYD_MODELS:
            rows += [
                (name, k, v)
                for k, v in purchase_metrics(group["actual_purchases"], group["predicted_purchases"]).items()
            ]
            bought = group["actual_window_purchases"] > 0
            rows += [
                (name, k, v) for k, v in propensity_metrics(bought, group["predicted_purchase_probability"]).items()
            ]
        rows += [(name, k, v) for k, v in spend_metrics(group["actual_spend"], group["predicted_spend"]).items()]
    columns = list(METRIC_COLUMNS)
    metrics = pd.DataFrame(rows, columns=columns).astype({"metric_value": "float64"})
    repeat = _positive_repeat(_snapshot(snapshots, "calibration"))
    correlation = []
    if len(repeat) >= MIN_CUSTOMERS:
        value = frequency_spend_correlation(repeat["frequency"], repeat["monetary_value"])
        correlation = [(SPEND_MODEL, "frequency_spend_correlation", value)]
    independence = pd.DataFrame(correlation, columns=columns)
    parts = [frame.astype({"metric_value": "float64"}) for frame in (metrics, independence) if len(frame)]
    return pd.concat(parts, ignore_index=True) if parts else metrics


def best_model(metrics: pd.DataFrame) -> str | None:
    """The model with the best holdout SELECTION_METRIC (the first on a tie); None when none was validated."""
    score = metrics[metrics["metric_name"] == SELECTION_METRIC].set_index("model_name")["metric_value"]
    return score.idxmax() if len(score) else None


def model_status(snapshots: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Per CLV model: fitted (how it was validated; `is_selected` for the best one, whose scores are published)
    or skipped, why and what it needs."""
    chosen = best_model(metrics)
    calibration = _snapshot(snapshots, "calibration")
    validation = None
    if len(calibration):
        start, days = calibration["snapshot_date"].iloc[0], int(calibration["horizon_days"].iloc[0])
        validation = f"holdout of the {days} days after {start:%Y-%m-%d}"
    rows = []
    for name, error in requirements(snapshots).items():
        if error is None and name != SPEND_MODEL and name not in set(metrics["model_name"]):
            error = Unfittable("the likelihood maximization did not converge on the calibration data", "more history")
        if error is None:
            rows.append(fitted(FAMILY, name, validation, is_selected=name == chosen))
        else:
            rows.append(skipped(FAMILY, name, error))
    return status_frame(rows)


def selected_model(status: pd.DataFrame, predictions: pd.DataFrame) -> tuple[str, str, str | None] | None:
    """The model `model_status` selected, the buy-till-you-die model that gives it p_alive and the time profile
    (itself, or the ensemble's buy-till-you-die component) and the ML model that re-levels it (itself, the
    ensemble's ML component, or None for a buy-till-you-die model). None when no model was selected."""
    chosen = status.loc[status["is_selected"], "model_name"]
    if chosen.empty:
        return None
    chosen = chosen.item()
    if chosen in BTYD_MODELS:
        return chosen, chosen, None
    components = predictions.loc[predictions["ensemble_component"], "model_name"].unique()
    btyd_name = next(name for name in components if name in BTYD_MODELS)
    return chosen, btyd_name, chosen if chosen in ML_MODELS else next(name for name in components if name in ML_MODELS)


@dataclass(frozen=True)
class ClvVersion:
    """A registered version of the CLV family: the selected model refitted on the full snapshot. The
    buy-till-you-die model gives p_alive and the time profile; Gamma-Gamma (None where it could not be fitted:
    each customer's own mean purchase value stands in) the order value; for a selected ML model or ensemble,
    that ML model (`ml_name`) re-levels the profile by its ratio to the buy-till-you-die spend over
    `horizon_days`."""

    chosen: str
    btyd_name: str
    btyd: BetaGeoModel | ParetoNBDModel
    spend: GammaGammaModel | None
    ml_name: str | None
    ml: xgb.XGBRegressor | NeuralSpendModel | None
    horizon_days: int

    def to_artifact(self) -> str:
        """JSON: the models' parameters (floats round-trip) and XGBoost's own JSON booster; never a pickle."""
        return json.dumps(
            {
                "chosen": self.chosen,
                "btyd_name": self.btyd_name,
                "btyd": self.btyd.params_,
                "spend": None if self.spend is None else self.spend.params_,
                "ml_name": self.ml_name,
                "ml": None if self.ml is None else self._ml_artifact(),
                "horizon_days": self.horizon_days,
            }
        )

    def _ml_artifact(self) -> str | dict:
        if isinstance(self.ml, NeuralSpendModel):
            return self.ml.params_
        return self.ml.get_booster().save_raw("json").decode()

    @classmethod
    def from_registry(cls, version: pd.DataFrame) -> ClvVersion | None:
        """The version of a row of the registry (`registry.REGISTRY_COLUMNS`), or None from no row (no model
        could be validated)."""
        if version.empty:
            return None
        saved = json.loads(version["artifact"].item())
        # Versions registered before the neural model existed had XGBoost as their only ML model.
        ml_name = saved.get("ml_name", "xgboost_tweedie") if saved["ml"] is not None else None
        ml = None
        if ml_name in NEURAL_MODELS:
            ml = NeuralSpendModel()
            ml.params_ = saved["ml"]
        elif ml_name is not None:
            ml = xgb.XGBRegressor()
            ml.load_model(bytearray(saved["ml"], "utf-8"))
        return cls(
            saved["chosen"],
            saved["btyd_name"],
            _with_params(BTYD_MODELS[saved["btyd_name"]](), saved["btyd"]),
            None if saved["spend"] is None else _with_params(GammaGammaModel(), saved["spend"]),
            ml_name,
            ml,
            int(saved["horizon_days"]),
        )


def _with_params(model, params: dict):
    """A model as its fit left it: the parameters are all a fitted model predicts from."""
    model.params_ = {name: float(value) for name, value in params.items()}
    return model


def fit_version(
    snapshots: pd.DataFrame, status: pd.DataFrame, predictions: pd.DataFrame, ml_settings: MLSettings, seed: int = 0
) -> ClvVersion | None:
    """The model `model_status` selected, refitted on the full history (its ML part on the calibration snapshot,
    which has a horizon of known spend after it); None when no model was selected."""
    selected = selected_model(status, predictions)
    if selected is None:
        return None
    chosen, btyd_name, ml_name = selected
    full, calibration = _snapshot(snapshots, "full"), _snapshot(snapshots, "calibration")
    spend = fit_spend_model(full) if _error(_check_spend, calibration) is None else None
    ml = None if ml_name is None else fit_ml_model(ml_name, calibration, ml_settings, seed)
    btyd = BTYD_MODELS[btyd_name]().fit(*rfm(full))
    return ClvVersion(chosen, btyd_name, btyd, spend, ml_name, ml, int(full["horizon_days"].iloc[0]))


def registered_model(
    snapshots: pd.DataFrame,
    status: pd.DataFrame,
    predictions: pd.DataFrame,
    decision: RetrainDecision,
    ml_settings: MLSettings,
    seed: int = 0,
) -> pd.DataFrame:
    """The CLV family's version row (REGISTRY_COLUMNS): `fit_version`; no row when no model was selected."""
    version = fit_version(snapshots, status, predictions, ml_settings, seed)
    if version is None:
        return empty_frame(REGISTRY_COLUMNS)
    full = _snapshot(snapshots, "full")
    training = f"{version.chosen} on the full history to {full['snapshot_date'].iloc[0]:%Y-%m-%d}"
    return decision.registered(version.chosen, full, training, version.to_artifact())


MONTHS = 12  # the monthly profile: clv_3m, clv_6m, clv_12m and the revenue forecast's months


def spend_profile(full: pd.DataFrame, version: ClvVersion, btyd=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer of the full snapshot: the expected purchases in each of the next MONTHS months (customers x
    MONTHS) from the version's buy-till-you-die model (or `btyd`, the same model with other parameters), the
    expected order value, and the level a selected ML model or ensemble puts on their product (its ratio to the
    buy-till-you-die spend over `horizon_days`; 1 for a buy-till-you-die model)."""
    model, order_value = btyd or version.btyd, expected_order_value(full, version.spend)

    # Customers share (frequency, recency, T) rows: predict once per distinct row, then spread back.
    codes, distinct_rfm = distinct_rows(*rfm(full))

    def purchases(days):
        return model.expected_purchases(days, *distinct_rfm)[codes]

    level = np.ones(len(full))
    if version.ml is not None:
        btyd_spend = purchases(float(version.horizon_days)) * order_value
        ml_spend = version.ml.predict(_features(full, version.ml_name))
        chosen_spend = ml_spend if version.chosen in ML_MODELS else (ml_spend + btyd_spend) / 2
        level = (chosen_spend + 1e-9) / (btyd_spend + 1e-9)
    cumulative = np.column_stack([np.zeros(len(full))] + [purchases(m * DAYS_PER_MONTH) for m in range(1, MONTHS + 1)])
    return np.diff(cumulative, axis=1), order_value, level


def score(
    snapshots: pd.DataFrame, version: ClvVersion | None, annual_discount_rate: float, propensity_days: int
) -> pd.DataFrame:
    """Per-customer CLV at the full snapshot from the registered version.

    The buy-till-you-die model gives p_alive, expected purchases, the month-by-month time profile
    (`spend_profile`), the probability of a purchase in the next `propensity_days`, and the purchase rhythm of a
    customer still active (mean days between purchase days, median days to the next one), beside the observed mean
    gap. The ML and ensemble models re-level the time profile by their ratio to it over the validation horizon.
    Without a version (no validated model, see `model_status`), the frame is empty.
    """
    if version is None:
        return empty_frame(SCORE_COLUMNS)
    full = _snapshot(snapshots, "full")
    model = version.btyd
    codes, distinct_rfm = distinct_rows(*rfm(full))

    def purchases(days):
        return model.expected_purchases(days, *distinct_rfm)[codes]

    frequency, age = full["frequency"].to_numpy(dtype=float), full["age_days"].to_numpy(dtype=float)
    rate_shape, rate_scale = model.params_["r"], model.params_["alpha"]

    monthly_purchases, order_value, level = spend_profile(full, version)
    monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1
    discounted = monthly_purchases * (order_value * level)[:, None] / (1 + monthly_rate) ** np.arange(1, MONTHS + 1)
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
            "purchase_probability": model.probability_of_purchase(float(propensity_days), *distinct_rfm)[codes],
            "days_to_next_order": days_to_next_purchase(rate_shape, rate_scale, frequency, age),
            "days_between_orders": days_between_orders(rate_shape, rate_scale, frequency, age),
            "observed_days_between_orders": full["recency_days"] / full["frequency"].where(full["frequency"] > 0),
        }
    )
    ranks = scores["clv_12m"].rank(method="first", ascending=True)
    scores["clv_decile"] = np.ceil(10 * ranks / len(scores)).astype("int32")
    scores["clv_model"] = version.chosen
    scores["as_of_date"] = full["snapshot_date"]
    return scores.astype(SCORE_COLUMNS)
