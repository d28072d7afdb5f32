"""Gamma-Gamma: the spend per order of repeat customers.

Fader, Hardie & Lee (2005b), "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis", JMR 42(4);
Colombo & Jiang (1999). Each order's value z ~ Gamma(p, nu) around the customer's mean p / nu, with
nu ~ Gamma(q, v) across customers. For a customer with x orders of mean value m:

    L = Gamma(p x + q) / (Gamma(p x) Gamma(q)) * v^q m^(p x - 1) x^(p x) / (v + m x)^(p x + q)

Assumes spend is independent of purchase frequency (check `frequency_spend_correlation`). Maximized in
log space with an analytic gradient over unique (x, m) rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln
from scipy.stats import pearsonr

from customer_scoring.clv._base import MIN_CUSTOMERS, maximize

PARAMS = ("p", "q", "v")


def _check(frequency, monetary_value):
    x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    if x.shape != m.shape or x.ndim != 1:
        raise ValueError("frequency and monetary_value must be 1-D arrays of the same length")
    if not (np.isfinite(x).all() and np.isfinite(m).all()):
        raise ValueError("frequency and monetary_value must be finite (no nulls)")
    if (x <= 0).any():
        raise ValueError("Gamma-Gamma takes customers with at least one repeat purchase (frequency > 0)")
    if (m <= 0).any():
        raise ValueError("monetary_value must be positive")
    return x, m


def _neg_mean_log_likelihood(log_params, x, m, w, per_x):
    """per_x(f) evaluates f(x) once per distinct x: the special functions depend on x alone."""
    p, q, v = params = np.exp(log_params)
    px = p * x
    ll = per_x(lambda f: gammaln(p * f + q) - gammaln(p * f)) - gammaln(q) + q * np.log(v)
    ll += (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(v + m * x)
    digamma_sum = per_x(lambda f: digamma(p * f + q))
    d_p = x * (digamma_sum - per_x(lambda f: digamma(p * f)) + np.log(m) + np.log(x) - np.log(v + m * x))
    d_q = digamma_sum - digamma(q) + np.log(v) - np.log(v + m * x)
    d_v = q / v - (px + q) / (v + m * x)
    total = w.sum()
    grad = -np.array([np.dot(w, d) for d in (d_p, d_q, d_v)]) * params / total
    return -np.dot(w, ll) / total, grad


def frequency_spend_correlation(frequency, monetary_value) -> float:
    """Pearson correlation of repeat purchases and mean order value: near 0 when Gamma-Gamma applies."""
    x, m = _check(frequency, monetary_value)
    return float(pearsonr(x, m).statistic)


class GammaGammaModel:
    """Gamma-Gamma spend model fitted by maximum likelihood; `params_` holds p, q, v."""

    def fit(self, frequency, monetary_value) -> GammaGammaModel:
        x, m = _check(frequency, monetary_value)
        if x.size < MIN_CUSTOMERS:
            raise ValueError(f"need at least {MIN_CUSTOMERS} repeat customers to fit spend, got {x.size}")
        rows = pd.DataFrame({"x": x, "m": m}).value_counts(sort=False).reset_index()
        x, m, w = rows["x"].to_numpy(), rows["m"].to_numpy(), rows["count"].to_numpy(dtype=float)
        distinct, index = np.unique(x, return_inverse=True)

        def per_x(function):
            return function(distinct)[index]

        x0 = np.log([1.0, 2.0, m.mean()])
        log_params = maximize(lambda z: _neg_mean_log_likelihood(z, x, m, w, per_x), x0, jac=True)
        self.params_ = dict(zip(PARAMS, np.exp(log_params), strict=True))
        return self

    def expected_order_value(self, frequency, monetary_value) -> np.ndarray:
        """E[value of a future order | x orders of mean m]; customers with x = 0 get the population mean."""
        x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
        p, q, v = (self.params_[name] for name in PARAMS)
        population_mean = p * v / (q - 1)
        with np.errstate(invalid="ignore"):
            conditional = p * (v + x * m) / (p * x + q - 1)
        return np.where(x > 0, conditional, population_mean)

    def simulate_spend(self, rng, purchases, frequency, monetary_value) -> np.ndarray:
        """One draw of the value of `purchases` (customers x periods) future orders: given x repeat purchases of
        mean m, a customer's nu is Gamma(q + p x, v + m x) (the prior Gamma(q, v) for x = 0) and each order's value
        Gamma(p, nu), so n orders sum to Gamma(n p, nu)."""
        x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
        p, q, v = (self.params_[name] for name in PARAMS)
        nu = rng.gamma(q + p * x, 1.0 / (v + m * x))
        return rng.gamma(p * purchases, 1.0 / nu[:, None])
