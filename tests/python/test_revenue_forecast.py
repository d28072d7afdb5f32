"""The revenue forecast: its simulations agree with the models' closed forms, its parameter covariance with
lifetimes', its band for new customers is calibrated, and on generated data the band holds what the customers
really bought; the budget scenarios fund as the next best action does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter
from lifetimes.datasets import load_cdnow_summary

from customer_scoring.clv import BetaGeoModel, GammaGammaModel, ParetoNBDModel
from customer_scoring.clv._base import log_params_covariance
from customer_scoring.clv.pipeline import DAYS_PER_MONTH, FAMILY, MONTHS, ClvVersion
from customer_scoring.clv.revenue import RevenueForecastSettings, existing_customer_moments, new_customer_moments
from customer_scoring.generate import GeneratorConfig, future_purchases
from customer_scoring.registry import RetrainDecision

ENDS = DAYS_PER_MONTH * np.arange(1, MONTHS + 1)
# Histories (repeat purchases, recency, age): a one-time buyer, a steady one, a frequent one who went quiet.
HISTORIES = np.array([[0, 0, 100], [3, 150, 200], [12, 300, 500]], dtype=float)


def _fitted(model_class, params: dict):
    model = model_class()
    model.params_ = params
    return model


@pytest.mark.parametrize(
    "model",
    [
        _fitted(BetaGeoModel, {"r": 0.75, "alpha": 40.0, "a": 0.8, "b": 2.5}),
        _fitted(ParetoNBDModel, {"r": 0.75, "alpha": 40.0, "s": 0.6, "beta": 300.0}),
    ],
    ids=["bg_nbd", "pareto_nbd"],
)
def test_simulated_purchases_average_to_the_closed_form(model):
    draws = 200_000
    rows = np.repeat(HISTORIES, draws, axis=0)
    simulated = model.simulate_purchases(np.random.default_rng(0), ENDS, *rows.T).reshape(len(HISTORIES), draws, -1)
    cumulative = simulated.cumsum(axis=2)
    for history, paths in zip(HISTORIES, cumulative, strict=True):
        expected = np.array([model.expected_purchases(end, *history[:, None])[0] for end in ENDS])
        standard_error = paths.std(axis=0) / np.sqrt(draws)
        assert np.abs(paths.mean(axis=0) - expected).max() <= (4 * standard_error).max(), history


def test_a_boundary_fit_that_never_drops_out_simulates_a_plain_poisson_process():
    model = _fitted(BetaGeoModel, {"r": 1.0, "alpha": 10.0, "a": 1e-9, "b": 1e4})  # dropout probabilities of 0
    draws = 100_000
    rows = np.repeat(HISTORIES[1:2], draws, axis=0)
    simulated = model.simulate_purchases(np.random.default_rng(3), ENDS, *rows.T)
    rate_mean = (1.0 + 3) / (10.0 + 200)  # Gamma(r + x, alpha + T)
    assert simulated.sum(axis=1).mean() == pytest.approx(rate_mean * ENDS[-1], rel=0.02)


def test_simulated_spend_averages_to_the_expected_order_value():
    model = _fitted(GammaGammaModel, {"p": 6.0, "q": 4.0, "v": 15.0})
    frequency, mean_value = np.array([0.0, 2.0, 10.0]), np.array([0.0, 30.0, 12.0])
    draws = 200_000
    purchases = np.tile(np.array([[1, 3]]), (draws, 1))
    rng = np.random.default_rng(1)
    for x, m in zip(frequency, mean_value, strict=True):
        spend = model.simulate_spend(rng, purchases, np.full(draws, x), np.full(draws, m))
        expected = model.expected_order_value([x], [m])[0] * np.array([1, 3])
        assert np.abs(spend.mean(axis=0) - expected).max() <= (4 * spend.std(axis=0) / np.sqrt(draws)).max()


def test_the_parameter_covariance_gives_lifetimes_standard_errors():
    cdnow = load_cdnow_summary()
    rfm = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    ours = BetaGeoModel().fit(*rfm)
    log_params = np.log(list(ours.params_.values()))
    covariance = log_params_covariance(ours.objective(*rfm), log_params, len(cdnow))
    standard_errors = np.sqrt(np.diag(covariance)) * np.exp(log_params)  # the delta method, per parameter
    reference = BetaGeoFitter().fit(*rfm).summary["se(coef)"]
    for name, ours_se in zip(ours.params_, standard_errors, strict=True):
        assert ours_se == pytest.approx(reference[name], rel=0.02), name


@pytest.mark.parametrize("observed_months", [MONTHS, 6])
def test_the_new_customer_band_is_calibrated(observed_months):
    """Worlds where new customers arrive at a Poisson rate and spend as earlier ones did: the forecast from a year
    of observed acquisitions holds the revenue that then arrives in 90% bands about 90% of the time; also when
    earlier customers were observed for 6 months only and the later months spend as the sixth."""
    rng = np.random.default_rng(2)
    population = rng.gamma(0.5, 40.0, (5_000, MONTHS)) * (rng.random((5_000, MONTHS)) < 0.3)
    population[:, observed_months:] = rng.permuted(
        np.repeat(population[:, [observed_months - 1]], MONTHS - observed_months, axis=1), axis=0
    )
    cumulative = population.cumsum(axis=1)[:, :observed_months]
    seen = population[:, :observed_months]
    first_months = pd.DataFrame(
        {
            "months_since_acquisition": np.arange(observed_months),
            "customers": len(population),
            "revenue_sum": seen.sum(axis=0),
            "revenue_squares": (seen**2).sum(axis=0),
            "cumulative_squares": (cumulative**2).sum(axis=0),
        }
    )
    true_rate, worlds, z = 40.0, 2_000, 1.645
    inside = np.zeros((2, MONTHS))
    for _ in range(worlds):
        acquisitions = pd.DataFrame({"new_customers": rng.poisson(true_rate, 12)})
        _, moments = new_customer_moments(acquisitions, first_months, MONTHS)
        revenue = np.zeros(MONTHS)
        for month, arrivals in enumerate(rng.poisson(true_rate, MONTHS)):
            revenue[month:] += population[rng.integers(len(population), size=arrivals), : MONTHS - month].sum(axis=0)
        actual = np.stack([revenue, revenue.cumsum()])
        inside += np.abs(actual - moments.mean) <= z * np.sqrt(moments.variance)
    coverage = inside / worlds
    print("coverage", np.round(coverage, 3))
    assert np.abs(coverage - 0.9).max() < 0.03, coverage


def test_the_band_holds_what_the_customers_really_bought(con, dataset, dbt_vars):
    """The customers who had bought at the as-of date: the generator's future purchases of each month, and
    through each month, fall within the forecast's bands (99% for each month, 90% for the 3, 6 and 12 months)."""
    full = con.execute("select * from int_clv_summary_by_snapshot where snapshot_name = 'full' order by 2").df()
    decision = RetrainDecision.of(con.execute("select * from model_retrain_decisions").df(), FAMILY)
    version = ClvVersion.from_registry(con.execute(f"select * from fit_clv_model where {decision.rows}").df())
    settings = dbt_vars["revenue_forecast"]
    forecast_settings = RevenueForecastSettings(
        MONTHS, settings["simulations"], settings["simulation_customers"], settings["interval_z"]
    )
    moments = existing_customer_moments(full, version, forecast_settings)
    published = con.execute("select * from revenue_forecast order by forecast_month").df()
    assert published["existing_customer_revenue"].to_numpy() == pytest.approx(moments.mean[0], rel=1e-12)

    cfg = GeneratorConfig(**dataset["manifest"]["config"])
    orders, _ = future_purchases(cfg, int(ENDS[-1]) + 1)
    month = np.searchsorted(cfg.history_days + np.concatenate([[0.0], ENDS]), orders["day"], side="right")
    monthly = orders.groupby(month)["amount"].sum().reindex(range(1, MONTHS + 1), fill_value=0).to_numpy()
    z_scores = (np.stack([monthly, monthly.cumsum()]) - moments.mean) / np.sqrt(moments.variance)
    print("monthly z", np.round(z_scores[0], 2), "cumulative z", np.round(z_scores[1], 2))
    assert np.abs(z_scores[0]).max() < 2.576
    assert np.abs(z_scores[1, [2, 5, 11]]).max() < settings["interval_z"]


def test_budget_scenarios_grow_with_the_budget_until_every_worthwhile_action_is_funded(con, dbt_vars):
    scenarios = con.execute("select * from budget_scenarios order by uplift_multiplier, budget").df()
    actions = con.execute("select action_cost, expected_value_saved from customer_next_best_action").df()
    settings = dbt_vars["budget_scenarios"]
    assert len(scenarios) == len(settings["uplift_multipliers"]) * len(
        set(settings["budgets"]) | {dbt_vars["next_best_action_budget"]}
    )
    for multiplier, curve in scenarios.groupby("uplift_multiplier"):
        assert (
            curve["expected_value_saved"].is_monotonic_increasing and curve["customers_funded"].is_monotonic_increasing
        )
        worthwhile = actions[actions["expected_value_saved"] * multiplier > actions["action_cost"]]
        if worthwhile["action_cost"].sum() <= curve["budget"].max():  # the largest budget funds them all
            largest = curve.iloc[-1]
            assert largest["customers_funded"] == len(worthwhile)
            assert largest["expected_value_saved"] == pytest.approx(
                (worthwhile["expected_value_saved"] * multiplier).sum()
            )
