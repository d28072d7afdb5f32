"""BG/NBD, Pareto/NBD and Gamma-Gamma agree with lifetimes, recover known parameters, refuse bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
from lifetimes.datasets import load_cdnow_summary, load_cdnow_summary_data_with_monetary_value
from sklearn.neural_network import MLPRegressor

from customer_scoring.clv import BetaGeoModel, GammaGammaModel, ParetoNBDModel, frequency_spend_correlation
from customer_scoring.clv._base import days_to_next_purchase
from customer_scoring.clv.neural import NeuralSpendModel
from customer_scoring.metrics import r_squared

RELATIVE = 1e-3


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_summary(index_col=[0])


@pytest.fixture(scope="module")
def cdnow_spend():
    data = load_cdnow_summary_data_with_monetary_value()
    return data[data["frequency"] > 0]


def _rfm(data):
    return data["frequency"], data["recency"], data["T"]


def test_bgnbd_matches_the_published_cdnow_fit_and_lifetimes(cdnow):
    ours = BetaGeoModel().fit(*_rfm(cdnow))
    theirs = BetaGeoFitter().fit(*_rfm(cdnow))
    assert ours.params_ == pytest.approx(theirs.params_.to_dict(), rel=RELATIVE)
    assert ours.params_ == pytest.approx({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, rel=2e-3)
    assert ours.expected_purchases(39, *_rfm(cdnow)) == pytest.approx(
        theirs.conditional_expected_number_of_purchases_up_to_time(39, *_rfm(cdnow)), rel=RELATIVE
    )
    assert ours.probability_alive(*_rfm(cdnow)) == pytest.approx(
        theirs.conditional_probability_alive(*_rfm(cdnow)), rel=RELATIVE
    )


def test_pareto_nbd_matches_lifetimes(cdnow):
    ours = ParetoNBDModel().fit(*_rfm(cdnow))
    theirs = ParetoNBDFitter().fit(*_rfm(cdnow), initial_params=np.ones(4))  # its default start is random
    assert ours.params_ == pytest.approx(theirs.params_.to_dict(), rel=RELATIVE)
    assert ours.expected_purchases(39, *_rfm(cdnow)) == pytest.approx(
        theirs.conditional_expected_number_of_purchases_up_to_time(39, *_rfm(cdnow)), rel=RELATIVE
    )
    assert ours.probability_alive(*_rfm(cdnow)) == pytest.approx(
        theirs.conditional_probability_alive(*_rfm(cdnow)), rel=RELATIVE
    )


def test_gamma_gamma_matches_lifetimes(cdnow_spend):
    x, m = cdnow_spend["frequency"], cdnow_spend["monetary_value"]
    ours = GammaGammaModel().fit(x, m)
    theirs = GammaGammaFitter().fit(x, m)
    assert ours.params_ == pytest.approx(theirs.params_.to_dict(), rel=RELATIVE)
    assert ours.expected_order_value(x, m) == pytest.approx(theirs.conditional_expected_average_profit(x, m), rel=1e-6)
    assert frequency_spend_correlation(x, m) == pytest.approx(0.1139, abs=1e-3)


def _simulate_bgnbd(n, r, alpha, a, b, rng, window=0.0):
    """Customers observed for T ~ U(30, 365) days since their first purchase, as the BG/NBD story says, and
    whether they buy in the `window` days after T."""
    lam, p, T = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n), rng.uniform(30, 365, n)
    x, t_x, bought = np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool)
    t, active = np.zeros(n), np.arange(n)
    while active.size:
        t[active] += rng.exponential(1 / lam[active])
        active = active[t[active] < T[active] + window]
        observed = active[t[active] < T[active]]
        x[observed] += 1
        t_x[observed] = t[observed]
        bought[active[t[active] >= T[active]]] = True
        active = active[rng.random(active.size) >= p[active]]
    return x, t_x, T, bought


def test_bgnbd_recovers_the_parameters_it_was_simulated_with():
    truth = {"r": 0.5, "alpha": 20.0, "a": 1.0, "b": 3.0}
    x, t_x, T, _ = _simulate_bgnbd(30_000, *truth.values(), np.random.default_rng(0))
    fitted = BetaGeoModel().fit(x, t_x, T).params_
    # With 30,000 customers the standard errors are ~2-8% of each parameter; allow about three of them.
    assert fitted == pytest.approx(truth, rel=0.2)
    assert fitted["r"] / fitted["alpha"] == pytest.approx(truth["r"] / truth["alpha"], rel=0.05)


def test_bgnbd_purchase_probability_is_the_share_of_simulated_customers_who_buy():
    truth = {"r": 0.5, "alpha": 20.0, "a": 1.0, "b": 3.0}
    window = 30.0
    x, t_x, T, bought = _simulate_bgnbd(200_000, *truth.values(), np.random.default_rng(3), window)
    model = BetaGeoModel()
    model.params_ = truth
    probability = model.probability_of_purchase(window, x, t_x, T)
    # Calibrated overall and within each tenth of the predicted probability, to four standard errors.
    deciles = np.searchsorted(np.quantile(probability, np.linspace(0.1, 0.9, 9)), probability, side="right")
    for group in [np.ones(len(x), dtype=bool), *(deciles == k for k in range(10))]:
        predicted, share = probability[group].mean(), bought[group].mean()
        assert abs(predicted - share) < 4 * np.sqrt(share * (1 - share) / group.sum()) + 1e-3


def test_pareto_nbd_purchase_probability_matches_lifetimes(cdnow):
    ours = ParetoNBDModel().fit(*_rfm(cdnow))
    theirs = ParetoNBDFitter()
    theirs.params_ = ours.params_.copy()
    sample = cdnow.iloc[::50]
    expected = [
        1 - theirs.conditional_probability_of_n_purchases_up_to_time(0, 30.0, *row)
        for row in sample[["frequency", "recency", "T"]].to_numpy()
    ]
    assert ours.probability_of_purchase(30.0, *_rfm(sample)) == pytest.approx(expected, rel=1e-9)


def test_days_to_next_purchase_is_the_median_wait_of_an_active_customer():
    rng = np.random.default_rng(4)
    r, alpha = 0.5, 20.0
    for x, T in [(0, 40.0), (3, 200.0), (12, 365.0)]:
        rate = rng.gamma(r + x, 1 / (alpha + T), 400_000)
        wait = rng.exponential(1 / rate)
        median = days_to_next_purchase(r, alpha, np.array([x]), np.array([T]))[0]
        assert np.mean(wait <= median) == pytest.approx(0.5, abs=4 * 0.5 / np.sqrt(len(wait)))


def test_gamma_gamma_recovers_the_parameters_it_was_simulated_with():
    rng = np.random.default_rng(1)
    p, q, v = 6.0, 4.0, 15.0
    nu = rng.gamma(q, 1 / v, 20_000)
    x = rng.integers(1, 10, 20_000)
    m = np.array([rng.gamma(p, 1 / n, k).mean() for n, k in zip(nu, x, strict=True)])
    fitted = GammaGammaModel().fit(x, m).params_
    assert fitted["p"] * fitted["v"] / (fitted["q"] - 1) == pytest.approx(p * v / (q - 1), rel=0.02)
    assert fitted == pytest.approx({"p": p, "q": q, "v": v}, rel=0.15)


@pytest.mark.parametrize("model", [BetaGeoModel, ParetoNBDModel])
def test_refuses_data_without_repeat_purchases(model):
    with pytest.raises(ValueError, match="no customer has a repeat purchase"):
        model().fit(np.zeros(100), np.zeros(100), np.full(100, 50.0))


@pytest.mark.parametrize("model", [BetaGeoModel, ParetoNBDModel])
def test_refuses_a_tiny_dataset(model):
    with pytest.raises(ValueError, match="at least 20 customers"):
        model().fit([1, 2, 0], [5, 9, 0], [10, 10, 10])


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([1.0], [20.0], [10.0], "recency must lie in"),
        ([-1.0], [0.0], [10.0], "whole number"),
        ([0.0], [3.0], [10.0], "recency must be 0"),
        ([np.nan], [0.0], [10.0], "finite"),
    ],
)
def test_rejects_inconsistent_inputs_at_the_boundary(frequency, recency, T, message):
    with pytest.raises(ValueError, match=message):
        BetaGeoModel().fit(frequency, recency, T)


def test_fits_when_every_customer_has_the_same_age():
    rng = np.random.default_rng(2)
    x, t_x, _, _ = _simulate_bgnbd(5000, 0.5, 20.0, 1.0, 3.0, rng)
    x, t_x = np.where(t_x > 200, 0, x), np.where(t_x > 200, 0, t_x)
    model = BetaGeoModel().fit(x, t_x, np.full(x.size, 200.0))
    alive = model.probability_alive(x, t_x, np.full(x.size, 200.0))
    assert ((alive >= 0) & (alive <= 1)).all()


def test_gamma_gamma_refuses_non_positive_spend():
    with pytest.raises(ValueError, match="monetary_value must be positive"):
        GammaGammaModel().fit([1, 2], [10.0, 0.0])


def test_the_neural_spend_model_learns_spend_and_predicts_as_the_network_it_fitted():
    rng = np.random.default_rng(5)
    features = pd.DataFrame({"orders": rng.poisson(3, 4000), "days": rng.uniform(1, 700, 4000)})
    spend = 20 * features["orders"] * np.exp(-features["days"] / 300) + rng.normal(0, 1, 4000)
    settings = {"hidden_layer_sizes": [32, 16], "alpha": 0.001, "max_iter": 500}
    model = NeuralSpendModel().fit(features, spend, settings | {"early_stopping": True}, seed=0)
    assert r_squared(spend, model.predict(features)) > 0.95
    # Its forward pass is the network's: the same weights through MLPRegressor give the same predictions.
    network = MLPRegressor(**settings).fit(np.zeros((2, 2)), [0.0, 1.0])
    network.coefs_ = [np.asarray(layer) for layer in model.params_["weights"]]
    network.intercepts_ = [np.asarray(layer) for layer in model.params_["biases"]]
    scaled = (np.log1p(features.to_numpy(float)) - model.params_["mean"]) / model.params_["std"]
    expected = np.maximum(network.predict(scaled), 0) * model.params_["scale"]
    assert model.predict(features) == pytest.approx(expected, rel=1e-12)
    # What the registry stores (JSON) predicts the same.
    restored = NeuralSpendModel()
    restored.params_ = json.loads(json.dumps(model.params_))
    assert (restored.predict(features) == model.predict(features)).all()
