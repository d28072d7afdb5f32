"""Revenue in each of the next `revenue_forecast.months` months (at most the CLV profile's MONTHS), with an
uncertainty band: the customers who have bought, from the registered CLV version; the customers not acquired yet,
from the recent acquisition rate and what new customers spent in their first months.

Existing customers: the expected revenue is the sum of every customer's monthly profile (`spend_profile`, the same
numbers as their CLV, undiscounted). Its variance has two parts. The purchases and order values themselves: the
buy-till-you-die and Gamma-Gamma models simulated forward from each customer's history (`simulate_purchases`,
`simulate_spend`) on a random sample of at most `simulation_customers`, the variance of the sample's total scaled
to the whole base (customers are independent). The fitted parameters: the delta method, the total's gradient in
the log-parameters against their asymptotic covariance (`log_params_covariance`), the ML re-level held fixed (for
a selected ML model or ensemble the band is then on the wide side). Gamma-Gamma's own parameter uncertainty is
left out; without Gamma-Gamma, or with q <= 2 (where a new customer's order value has no finite variance), order
values are taken as their expectations.

New customers: Poisson arrivals at the mean monthly acquisitions of the last `revenue_forecast.acquisition_months`
months (`int_customer_acquisitions_counted`); a customer acquired in month a spends, in its j-th month, as the
customers acquired before did (`int_new_customer_revenue_aggregated`: mean and second moment of the j-th month's
revenue and of the cumulative revenue through it, over the customers observed that long). A compound Poisson sum,
plus the uncertainty of the estimated rate; a cohort's first month is counted in the month it arrives. A month no
earlier customer was observed through repeats the last observed month's spending.

Month k is the days (k - 1) * 365.25 / 12 < d <= k * 365.25 / 12 after the as-of date (period_start, period_end).

The band is the normal approximation, expected revenue plus or minus `interval_z` standard deviations, never below
0: sums over thousands of independent customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from customer_scoring.clv._base import log_params_covariance
from customer_scoring.clv.pipeline import DAYS_PER_MONTH, MONTHS, ClvVersion, rfm, spend_profile
from customer_scoring.status import empty_frame

GRADIENT_STEP = 1e-4

FORECAST_COLUMNS = {
    "forecast_month": "int32",
    "period_start": "datetime64[us]",
    "period_end": "datetime64[us]",
    "existing_customer_revenue": "float64",
    "expected_new_customers": "float64",
    "new_customer_revenue": "float64",
    "expected_revenue": "float64",
    "revenue_lower": "float64",
    "revenue_upper": "float64",
    "cumulative_revenue": "float64",
    "cumulative_lower": "float64",
    "cumulative_upper": "float64",
    "clv_model": "string",
    "as_of_date": "datetime64[us]",
}


@dataclass(frozen=True)
class RevenueForecastSettings:
    """The `revenue_forecast` var: the months forecast, simulated futures and the most customers simulated, the
    band's normal quantile."""

    months: int
    simulations: int
    simulation_customers: int
    interval_z: float

    def __post_init__(self):
        if self.simulations < 2 or self.simulation_customers < 2:
            raise ValueError("revenue_forecast.simulations and simulation_customers must be at least 2 (a variance)")


@dataclass(frozen=True)
class Moments:
    """Expected revenue and its variance, per month and cumulated through each month (2 x months each)."""

    mean: np.ndarray
    variance: np.ndarray

    def __add__(self, other: Moments) -> Moments:
        return Moments(self.mean + other.mean, self.variance + other.variance)


def _monthly_and_cumulative(per_month: np.ndarray) -> np.ndarray:
    return np.stack([per_month, np.cumsum(per_month, axis=-1)])


def _ends(months: int) -> np.ndarray:
    if not 1 <= months <= MONTHS:
        raise ValueError(f"revenue_forecast.months must lie in 1 .. {MONTHS} (the CLV profile's months), got {months}")
    return DAYS_PER_MONTH * np.arange(1, months + 1)


def _simulated_spend(
    sample: pd.DataFrame, version: ClvVersion, order_value: np.ndarray, level: np.ndarray, months: int, rng
) -> np.ndarray:
    """One simulated future of the sample: each customer's revenue per month (customers x months), at the level
    their profile has."""
    purchases = version.btyd.simulate_purchases(rng, _ends(months), *rfm(sample))
    if version.spend is None or version.spend.params_["q"] <= 2:
        return purchases * (order_value * level)[:, None]
    frequency, mean_value = sample["frequency"].to_numpy(float), sample["monetary_value"].fillna(0).to_numpy(float)
    return version.spend.simulate_spend(rng, purchases, frequency, mean_value) * level[:, None]


def _parameter_variance(
    sample: pd.DataFrame, version: ClvVersion, value: np.ndarray, customers: int, months: int
) -> np.ndarray:
    """The delta method's variance of the whole base's expected revenue (2 x months) from the buy-till-you-die
    parameters' estimation error, with each sampled customer's purchases worth `value`; gradient and curvature
    measured on the sample, scaled to the base."""
    model = version.btyd
    names = model.PARAMS
    log_params = np.log([model.params_[name] for name in names])
    covariance = log_params_covariance(model.objective(*rfm(sample)), log_params, customers)

    def total(shifted: np.ndarray) -> np.ndarray:
        moved = type(model)()
        moved.params_ = dict(zip(names, np.exp(shifted), strict=True))
        purchases = spend_profile(sample, version, moved)[0][:, :months]
        return _monthly_and_cumulative((purchases * value[:, None]).sum(axis=0))

    steps = np.eye(len(names)) * GRADIENT_STEP
    gradient = np.stack([(total(log_params + h) - total(log_params - h)) / (2 * GRADIENT_STEP) for h in steps])
    gradient *= customers / len(sample)
    return np.maximum(np.einsum("ikm,ij,jkm->km", gradient, covariance, gradient), 0.0)


def existing_customer_moments(
    full: pd.DataFrame, version: ClvVersion, settings: RevenueForecastSettings, seed: int = 0
) -> Moments:
    """The revenue of the customers who have bought (the full snapshot)."""
    months = settings.months
    purchases, order_value, level = spend_profile(full, version)
    sample = full.sample(n=min(len(full), settings.simulation_customers), random_state=seed, ignore_index=True)
    _, sample_order_value, sample_level = spend_profile(sample, version)
    rng = np.random.default_rng(seed)
    totals = np.stack(
        [
            _simulated_spend(sample, version, sample_order_value, sample_level, months, rng).sum(axis=0)
            for _ in range(settings.simulations)
        ]
    )
    process = np.stack([totals.var(axis=0, ddof=1), totals.cumsum(axis=1).var(axis=0, ddof=1)])
    process *= len(full) / len(sample)
    mean = _monthly_and_cumulative((purchases[:, :months] * (order_value * level)[:, None]).sum(axis=0))
    parameter = _parameter_variance(sample, version, sample_order_value * sample_level, len(full), months)
    return Moments(mean, process + parameter)


def new_customer_moments(acquisitions: pd.DataFrame, first_months: pd.DataFrame, months: int) -> tuple[float, Moments]:
    """The monthly acquisition rate and the revenue of the customers acquired from now on. `acquisitions`: one row
    per recent month (new_customers); `first_months`: per month since acquisition (months_since_acquisition 0 ..),
    customers observed through it, their revenue in it (sum, sum of squares) and through it (cumulative_squares)."""
    rate = float(acquisitions["new_customers"].mean()) if len(acquisitions) else 0.0
    observed = first_months.set_index("months_since_acquisition").reindex(range(months))
    observed = observed[observed["customers"] > 0]
    if rate == 0.0 or observed.empty:
        return rate, Moments(np.zeros((2, months)), np.zeros((2, months)))
    mean, second, cumulative_second = (
        (observed[column] / observed["customers"]).to_numpy(float)
        for column in ("revenue_sum", "revenue_squares", "cumulative_squares")
    )
    # Months beyond the observed ones spend as the last observed month, independently of the months before it.
    for _ in range(months - len(observed)):
        cumulative_second = np.append(cumulative_second, cumulative_second[-1] + 2 * mean.sum() * mean[-1] + second[-1])
        mean, second = np.append(mean, mean[-1]), np.append(second, second[-1])
    # Month k holds the cohorts of months 1 .. k, the latest in its first month: sums over months since acquisition.
    monthly = np.cumsum(mean)
    expected = _monthly_and_cumulative(rate * monthly)
    exposure = np.stack([monthly, np.cumsum(monthly)])  # expected revenue per unit of rate
    process = rate * np.stack([np.cumsum(second), np.cumsum(cumulative_second)])
    return rate, Moments(expected, process + exposure**2 * rate / len(acquisitions))


def revenue_forecast(
    full: pd.DataFrame,
    version: ClvVersion | None,
    acquisitions: pd.DataFrame,
    first_months: pd.DataFrame,
    settings: RevenueForecastSettings,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per month forecast (FORECAST_COLUMNS); empty without a CLV version (see model_status)."""
    if version is None or full.empty:
        return empty_frame(FORECAST_COLUMNS)
    existing = existing_customer_moments(full, version, settings, seed)
    rate, new = new_customer_moments(acquisitions, first_months, settings.months)
    total = existing + new
    spread = settings.interval_z * np.sqrt(total.variance)
    as_of = pd.Timestamp(full["snapshot_date"].iloc[0])
    day = pd.Timedelta(days=1)
    return pd.DataFrame(
        {
            "forecast_month": np.arange(1, settings.months + 1),
            "period_start": [as_of + day * (np.floor(end - DAYS_PER_MONTH) + 1) for end in _ends(settings.months)],
            "period_end": [as_of + day * np.floor(end) for end in _ends(settings.months)],
            "existing_customer_revenue": existing.mean[0],
            "expected_new_customers": rate,
            "new_customer_revenue": new.mean[0],
            "expected_revenue": total.mean[0],
            "revenue_lower": np.maximum(total.mean[0] - spread[0], 0.0),
            "revenue_upper": total.mean[0] + spread[0],
            "cumulative_revenue": total.mean[1],
            "cumulative_lower": np.maximum(total.mean[1] - spread[1], 0.0),
            "cumulative_upper": total.mean[1] + spread[1],
            "clv_model": version.chosen,
            "as_of_date": as_of,
        }
    ).astype(FORECAST_COLUMNS)
