"""Value forecast: each customer's spend over the next short and long windows (90 and 180 days), learned out of
time, to find tomorrow's top customers rather than today's.

`customer_value_features` holds one row per (customer, cutoff): point-in-time features (engagement trajectory,
orders and revenue, tenure, plan and channel) and the spend that followed a cutoff whose window has closed; its
cutoffs and what each is for are `int_value_forecast_cutoffs`'. Two XGBoost regressors with a Tweedie objective
(spend is zero for most customers and skewed for the rest, as for the CLV model) learn, on the training cutoffs'
rows, the spend of the short window and of the rest of the long one; the long forecast is their sum, so it is
never below the short one; a third learns the next engagement window's web usage. The three are a version of
the model registry (`ValueVersion`). At the as-of date the long forecast ranks the customers (its top
`high_value_share` is the learned high-value flag), the short one set against the spend of the last short
window gives the trend, and SHAP contributions to the long forecast name each customer's top drivers.

The back-test repeats the fit one long window earlier and ranks the customers of the latest closed cutoff by
their forecast, beside the rankings the project already publishes as they stood at that cutoff (value score,
engagement score, RFM score) and a buy-till-you-die CLV (BG/NBD fitted on that cutoff's buyers, times each
one's revenue per purchase day), each against the spend that really followed (`metrics.top_share_metrics`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import xgboost as xgb
from scipy.stats import spearmanr

from customer_scoring import treeshap
from customer_scoring.churn.features import FeatureSet
from customer_scoring.clv._base import ConvergenceError
from customer_scoring.clv.bgnbd import BetaGeoModel
from customer_scoring.metrics import r_squared, top_share_metrics
from customer_scoring.registry import REGISTRY_COLUMNS, RetrainDecision
from customer_scoring.status import Unfittable, empty_frame, fitted, skipped, status_frame
from customer_scoring.trees import readable_tree

FAMILY, MODEL_NAME = "value", "value_forecast"
# The labels of customer_value_features, by the window setting that sets their length, and the forecasts of them.
WINDOWS = {"short_days": "spend_next_90d", "long_days": "spend_next_180d"}
FORECASTS = {"short_days": "forecast_spend_90d", "long_days": "forecast_spend_180d"}
# The spend regressors: one learns the short window's spend, the other the rest of the long window's, so the long
# forecast (their sum) is never below the short one. A third learns the next engagement window's web usage.
PARTS = ("short", "rest")
USAGE, USAGE_LABEL, USAGE_FORECAST = "usage", "usage_minutes_next_30d", "forecast_usage_minutes_30d"
DRIVERS = 3
USAGE_RANKING = "usage_forecast"
SCORE_COLUMNS = {"customer_id": "string", "cutoff_date": "datetime64[us]"}
SCORE_COLUMNS |= {forecast: "float64" for forecast in FORECASTS.values()}
SCORE_COLUMNS |= {"spend_last_90d": "float64", "predicted_spend_change_90d": "float64", "value_trend": "string"}
SCORE_COLUMNS |= {"forecast_percentile": "float64", "is_high_value_forecast": "bool", USAGE_FORECAST: "float64"}
SCORE_COLUMNS |= {f"driver_{rank}": "string" for rank in range(1, DRIVERS + 1)}
METRIC_COLUMNS = {"ranking": "string", "metric_name": "string", "metric_value": "float64"}
TREE_COLUMNS = {"leaf_id": "int64", "rule": "string", "rows": "int64", "row_share": "float64"}
TREE_COLUMNS |= {"mean_forecast_spend_180d": "float64", "fidelity_r2": "float64"}


@dataclass(frozen=True)
class ForecastSettings:
    """The `value_forecast` var (windows, training cutoffs, the most rows a fit reads, the trend's stable band,
    XGBoost's settings but the objective, seed and threads), the feature lists and the high-value share."""

    short_days: int
    long_days: int
    training_cutoffs: int
    max_fit_rows: int
    trend_stable_band: float
    xgboost_params: dict
    features: FeatureSet
    high_value_share: float

    @classmethod
    def of(cls, config: dict) -> ForecastSettings:
        """From the Python models' `forecast` config: the var and the rest by name."""
        features = FeatureSet(config["numeric_features"], config["categorical_features"])
        return cls(**config["settings"], features=features, high_value_share=float(config["high_value_share"]))


def _cutoffs(cutoffs: pd.DataFrame, role: str) -> list:
    return sorted(cutoffs.loc[cutoffs[role], "cutoff_date"])


def _days(days: list) -> str:
    return ", ".join(f"date '{pd.Timestamp(day):%Y-%m-%d}'" for day in days)


def check_history(cutoffs: pd.DataFrame, settings: ForecastSettings) -> None:
    """Unfittable unless the history has a closed cutoff to train on and one to back-test with."""
    if not _cutoffs(cutoffs, "is_backtest_training"):
        raise Unfittable(
            "the history is too short to learn and back-test the value forecast",
            f"orders over at least two {settings.long_days}-day windows after the first month end",
        )


def fit_rows(cutoffs: pd.DataFrame, role: str, max_rows: int) -> str:
    """The SQL filter of the rows of value_forecast_fit_rows a fit reads: the `role` cutoffs ('is_training' or
    'is_backtest_training'), a deterministic sample (`sample_fraction`) of about `max_rows` of them when they hold
    more."""
    days = _cutoffs(cutoffs, role)
    rows = int(cutoffs.loc[cutoffs[role], "customers"].sum())
    sample = f" and sample_fraction < {max_rows / rows!r}" if rows > max_rows else ""
    return f"cutoff_date in ({_days(days) or 'null'}){sample}"


def scored_rows(cutoffs: pd.DataFrame, role: str) -> str:
    """The SQL filter of the rows of the `role` cutoff ('is_scored' or 'is_backtest_scored')."""
    return f"cutoff_date in ({_days(_cutoffs(cutoffs, role)) or 'null'})"


@dataclass(frozen=True)
class ValueVersion:
    """A registered version of the value family: the regressors of the PARTS and of the usage, and the
    design-matrix columns they read. A part whose training rows were all 0 (no web usage on an orders-only
    history) has no regressor (None) and forecasts 0. Written as one JSON artifact (XGBoost's own JSON
    boosters), read back bit for bit."""

    regressors: dict[str, xgb.XGBRegressor | None]
    features: FeatureSet
    columns: list[str]

    def _parts(self, matrix: pd.DataFrame, parts=PARTS) -> dict[str, np.ndarray]:
        return {
            part: np.zeros(len(matrix)) if model is None else model.predict(matrix).astype(float)
            for part, model in ((part, self.regressors[part]) for part in parts)
        }

    def _matrix(self, rows: pd.DataFrame) -> pd.DataFrame:
        return self.features.design_matrix(rows, self.columns)

    def usage(self, rows: pd.DataFrame) -> np.ndarray:
        """The forecast web usage minutes of the next engagement window of each row."""
        return self._parts(self._matrix(rows), [USAGE])[USAGE]

    def forecast(self, rows: pd.DataFrame) -> dict[str, np.ndarray]:
        """The short and long windows' forecast spend (keyed as WINDOWS) of each row."""
        return _windows(self._parts(self._matrix(rows)))

    def contributions(self, rows: pd.DataFrame) -> np.ndarray:
        """Per design-matrix column, its contribution to the log of the long forecast: each part's SHAP
        contributions to its raw (log) margin, weighted by that part's share of the sum (to first order, how the
        log of a sum moves with the logs of its parts)."""
        matrix = self._matrix(rows)
        return self._contributions(matrix, self._parts(matrix))

    def explained_forecast(self, rows: pd.DataFrame) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """`forecast`, `usage` and `contributions` of the rows from one design matrix and one prediction per
        regressor (what scoring reads)."""
        matrix = self._matrix(rows)
        parts = self._parts(matrix, (*PARTS, USAGE))
        return _windows(parts), parts[USAGE], self._contributions(matrix, parts)

    def _contributions(self, matrix: pd.DataFrame, parts: dict[str, np.ndarray]) -> np.ndarray:
        total = parts["short"] + parts["rest"]
        contributions = np.zeros(matrix.shape)
        for part in PARTS:
            if self.regressors[part] is not None:
                share = np.divide(parts[part], total, out=np.zeros(len(matrix)), where=total > 0)
                contributions += self._explainers[part].contributions(matrix) * share[:, None]
        return contributions

    @cached_property
    def _explainers(self) -> dict[str, treeshap.Explainer]:
        """Each regressor's TreeSHAP tables, built on first use and kept with the version."""
        regressors = self.regressors.items()
        return {part: treeshap.Explainer(model.get_booster()) for part, model in regressors if model is not None}

    def to_artifact(self) -> str:
        return json.dumps(
            {
                "boosters": {
                    part: None if model is None else model.get_booster().save_raw("json").decode()
                    for part, model in self.regressors.items()
                },
                "numeric": self.features.numeric,
                "categorical": self.features.categorical,
                "columns": self.columns,
            }
        )

    @classmethod
    def from_registry(cls, version: pd.DataFrame) -> ValueVersion | None:
        """The version of a row of the registry, or None from no row (the history could not fit it)."""
        if version.empty:
            return None
        saved = json.loads(version["artifact"].item())
        regressors = dict.fromkeys(saved["boosters"])
        for part, booster in saved["boosters"].items():
            if booster is not None:
                regressors[part] = xgb.XGBRegressor()
                regressors[part].load_model(bytearray(booster, "utf-8"))
        return cls(regressors, FeatureSet(saved["numeric"], saved["categorical"]), saved["columns"])


def _windows(parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"short_days": parts["short"], "long_days": parts["short"] + parts["rest"]}


def fit_forecast(rows: pd.DataFrame, settings: ForecastSettings, seed: int = 0) -> ValueVersion:
    """One Tweedie regressor per part (PARTS) and one of the next window's usage on `rows` (training cutoffs, their
    windows closed). XGBoost runs on two threads, always: their order of adding partial sums moves the fit
    slightly."""
    matrix = settings.features.design_matrix(rows)
    short, long = (rows[WINDOWS[window]] for window in ("short_days", "long_days"))
    regressors = {}
    for part, label in zip((*PARTS, USAGE), (short, long - short, rows[USAGE_LABEL]), strict=True):
        model = xgb.XGBRegressor(objective="reg:tweedie", n_jobs=2, random_state=seed, **settings.xgboost_params)
        regressors[part] = model.fit(matrix, label) if (label > 0).any() else None  # Tweedie needs a positive label
    return ValueVersion(regressors, settings.features, list(matrix.columns))


def registered_forecast(
    rows: pd.DataFrame, cutoffs: pd.DataFrame, decision: RetrainDecision, settings: ForecastSettings
) -> pd.DataFrame:
    """The value family's version row (REGISTRY_COLUMNS): `fit_forecast` on the training cutoffs' rows; no row
    when the history cannot fit and back-test it."""
    try:
        check_history(cutoffs, settings)
    except Unfittable:
        return empty_frame(REGISTRY_COLUMNS)
    days = _cutoffs(cutoffs, "is_training")
    training = f"{len(rows)} customer-months at the month ends {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}"
    return decision.registered(MODEL_NAME, rows, training, fit_forecast(rows, settings).to_artifact())


def _trend(forecast: np.ndarray, last: np.ndarray, floor: float, band: float) -> np.ndarray:
    """rising / falling when the forecast moves from the last window's spend by more than `band` of the larger
    of the two (or of `floor`, the mean order value, when both are below it: cents are no trend), else stable."""
    margin = band * np.maximum(np.maximum(forecast, last), floor)
    return np.select([forecast - last > margin, last - forecast > margin], ["rising", "falling"], "stable")


def forecast_scores(rows: pd.DataFrame, version: ValueVersion | None, settings: ForecastSettings) -> pd.DataFrame:
    """SCORE_COLUMNS of the rows of the scored cutoff from the registered version; no rows without one."""
    if version is None:
        return empty_frame(SCORE_COLUMNS)
    scoring = rows.reset_index(drop=True)
    forecasts, usage, contributions = version.explained_forecast(scoring)
    long = forecasts["long_days"]
    last = scoring["revenue_last_90d"].to_numpy(dtype=float)
    order_value = scoring["lifetime_revenue"].sum() / max(scoring["lifetime_orders"].sum(), 1)
    percentile = (pd.Series(long).rank(method="min").to_numpy() - 1) / max(len(long) - 1, 1)  # as percent_rank
    top = np.argsort(-contributions, axis=1, kind="stable")  # raising the forecast most first
    names = np.array(version.columns)
    return pd.DataFrame(
        {
            "customer_id": scoring["customer_id"],
            "cutoff_date": scoring["cutoff_date"],
            **{FORECASTS[window]: forecast for window, forecast in forecasts.items()},
            "spend_last_90d": last,
            "predicted_spend_change_90d": forecasts["short_days"] - last,
            "value_trend": _trend(forecasts["short_days"], last, order_value, settings.trend_stable_band),
            "forecast_percentile": percentile,
            "is_high_value_forecast": percentile >= 1 - settings.high_value_share,
            USAGE_FORECAST: usage,
            **{f"driver_{rank}": names[top[:, rank - 1]] for rank in range(1, DRIVERS + 1)},
        }
    ).astype(SCORE_COLUMNS)


def _bg_nbd_clv(rows: pd.DataFrame, days: int) -> np.ndarray | None:
    """BG/NBD fitted on the buyers of `rows` (one cutoff): expected purchase days in the next `days`, times each
    buyer's revenue per purchase day; -inf for customers without an order (they rank last). None when BG/NBD
    cannot be fitted on them (too few repeat buyers)."""
    buyers = rows["purchase_days"].to_numpy() > 0
    bought = rows[buyers]
    age = bought["days_since_first_order"].to_numpy(dtype=float)
    frequency, recency = bought["purchase_days"].to_numpy(dtype=float) - 1, age - bought["days_since_last_order"]
    try:
        model = BetaGeoModel().fit(frequency, recency.to_numpy(dtype=float), age)
    except (ValueError, ConvergenceError):  # too few buyers to identify it, or the fit did not converge
        return None
    value = np.full(len(rows), -np.inf)
    spend_per_day = (bought["lifetime_revenue"] / bought["purchase_days"]).to_numpy(dtype=float)
    value[buyers] = model.expected_purchases(days, frequency, recency.to_numpy(dtype=float), age) * spend_per_day
    return value


def backtest_metrics(training: pd.DataFrame, scored: pd.DataFrame, settings: ForecastSettings) -> pd.DataFrame:
    """METRIC_COLUMNS: each ranking (the forecast's, and the value, engagement, RFM scores and BG/NBD CLV as they
    stood; BG/NBD's only where it can be fitted) of the back-test cutoff's customers against the long window's
    spend that followed, the forecast's spend R² per window, and the Spearman correlation of the usage forecast
    and of the engagement score with the next engagement window's usage."""
    scored = scored.reset_index(drop=True)
    version = fit_forecast(training, settings)
    forecasts = version.forecast(scored)
    rankings = {
        MODEL_NAME: forecasts["long_days"],
        "value_score": scored["value_score"].to_numpy(dtype=float),
        "engagement_score": scored["engagement_score"].to_numpy(dtype=float),
        "rfm_score": scored["rfm_score"].astype(float).fillna(-np.inf).to_numpy(),
        "bg_nbd_clv": _bg_nbd_clv(scored, settings.long_days),
    }
    rankings = {name: score for name, score in rankings.items() if score is not None}
    actual = scored[WINDOWS["long_days"]].to_numpy(dtype=float)
    rows = [
        {"ranking": name, "metric_name": metric, "metric_value": value}
        for name in rankings
        for metric, value in top_share_metrics(actual, rankings[name], settings.high_value_share).items()
    ]
    rows += [
        {
            "ranking": MODEL_NAME,
            "metric_name": f"spend_r2_{label.removeprefix('spend_next_')}",
            "metric_value": r_squared(scored[label], forecasts[window]),
        }
        for window, label in WINDOWS.items()
    ]
    usage = scored[USAGE_LABEL].to_numpy(dtype=float)
    rows += [
        {
            "ranking": name,
            "metric_name": "next_usage_spearman",
            "metric_value": float(spearmanr(score, usage).statistic),
        }
        for name, score in [(USAGE_RANKING, version.usage(scored)), ("engagement_score", rankings["engagement_score"])]
    ]
    return pd.DataFrame(rows, columns=list(METRIC_COLUMNS)).astype(METRIC_COLUMNS)


def forecast_status(cutoffs: pd.DataFrame, metrics: pd.DataFrame, settings: ForecastSettings) -> pd.DataFrame:
    """The value forecast's model_status row: fitted (with its back-test) or skipped, and why."""
    try:
        check_history(cutoffs, settings)
    except Unfittable as error:
        return status_frame([skipped(FAMILY, MODEL_NAME, error)])
    trained, scored = _cutoffs(cutoffs, "is_backtest_training"), _cutoffs(cutoffs, "is_backtest_scored")
    precision = metrics[metrics["metric_name"] == "precision_at_top"].set_index("ranking")["metric_value"]
    validation = (
        f"back-test: trained at {trained[0]:%Y-%m-%d} to {trained[-1]:%Y-%m-%d}, ranked the customers of "
        f"{scored[0]:%Y-%m-%d} by {settings.long_days}-day spend: precision at the top "
        f"{precision[MODEL_NAME]:.3f} (value score {precision['value_score']:.3f})"
    )
    return status_frame([fitted(FAMILY, MODEL_NAME, validation, is_selected=True)])


def surrogate_tree(
    rows: pd.DataFrame, version: ValueVersion | None, max_depth: int, min_leaf_share: float
) -> pd.DataFrame:
    """A readable tree of the long forecast over the training rows (`trees.readable_tree`); no rows without a
    version."""
    if version is None:
        return empty_frame(TREE_COLUMNS)
    forecast = version.forecast(rows)["long_days"]
    leaves = readable_tree(
        version.features.design_matrix(rows, version.columns),
        forecast,
        version.features.categorical,
        max_depth,
        min_leaf_share,
    )
    return leaves.rename(columns={"mean_prediction": "mean_forecast_spend_180d"}).astype(TREE_COLUMNS)
