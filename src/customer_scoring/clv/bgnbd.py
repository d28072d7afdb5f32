"""BG/NBD: the beta-geometric / negative binomial model of repeat purchases.

Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the Pareto/NBD
Model", Marketing Science 24(2). While alive, a customer buys at Poisson rate lambda ~ Gamma(r, alpha);
after each repeat purchase they drop out with probability p ~ Beta(a, b). For a customer with x repeat
purchases, the last at t_x, observed for T since the first purchase, the likelihood is

    L = B(a, b + x) / B(a, b) * Gamma(r + x) alpha^r / Gamma(r)
        * [ (alpha + T)^-(r + x) + 1{x > 0} a / (b + x - 1) * (alpha + t_x)^-(r + x) ]

maximized here in log space with an analytic gradient, over unique (x, t_x, T) rows weighted by count.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from customer_scoring.clv._base import Summary, check_fittable, check_rfm, compress, maximize

PARAMS = ("r", "alpha", "a", "b")


def _neg_mean_log_likelihood(log_params, s: Summary):
    r, alpha, a, b = params = np.exp(log_params)
    x, t_x, T, w = s.frequency, s.recency, s.T, s.weights
    common = s.per_frequency(lambda f: gammaln(r + f) + betaln(a, b + f)) - gammaln(r) + r * np.log(alpha)
    common -= betaln(a, b)
    survived = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        dropped = np.where(x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x), -np.inf)
    mix = np.logaddexp(survived, dropped)
    w_survived = np.exp(survived - mix)  # posterior weight of "still alive"
    w_dropped = 1.0 - w_survived
    d_r = s.per_frequency(lambda f: digamma(r + f)) - digamma(r) + np.log(alpha)
    d_r -= w_survived * np.log(alpha + T) + w_dropped * np.log(alpha + t_x)
    d_alpha = r / alpha - (r + x) * (w_survived / (alpha + T) + w_dropped / (alpha + t_x))
    d_a = digamma(a + b) - s.per_frequency(lambda f: digamma(a + b + f)) + w_dropped / a
    with np.errstate(divide="ignore", invalid="ignore"):
        d_b_drop = np.where(x > 0, w_dropped / (b + x - 1), 0.0)
    d_b = digamma(a + b) - digamma(b) + s.per_frequency(lambda f: digamma(b + f) - digamma(a + b + f)) - d_b_drop
    total = w.sum()
    value = -np.dot(w, common + mix) / total
    grad = -np.array([np.dot(w, d) for d in (d_r, d_alpha, d_a, d_b)]) * params / total
    return value, grad


class BetaGeoModel:
    """BG/NBD fitted by maximum likelihood; `params_` holds r, alpha, a, b."""

    PARAMS = PARAMS  # the order `objective` takes the log-parameters in

    def fit(self, frequency, recency, T, weights=None) -> BetaGeoModel:
        summary = compress(frequency, recency, T, weights)
        check_fittable(summary)
        mean_rate = summary.frequency.dot(summary.weights) / summary.T.dot(summary.weights)
        x0 = np.log([1.0, 1.0 / max(mean_rate, 1e-6), 1.0, 1.0])
        log_params = maximize(lambda z: _neg_mean_log_likelihood(z, summary), x0, jac=True)
        self.params_ = dict(zip(PARAMS, np.exp(log_params), strict=True))
        self.log_likelihood_ = -_neg_mean_log_likelihood(log_params, summary)[0] * summary.weights.sum()
        return self

    def objective(self, frequency, recency, T):
        """The mean negative log-likelihood of these customers as a function of the log-parameters (PARAMS order)."""
        summary = compress(frequency, recency, T)
        return lambda log_params: _neg_mean_log_likelihood(log_params, summary)[0]

    def _params(self):
        return tuple(self.params_[name] for name in PARAMS)

    def probability_alive(self, frequency, recency, T) -> np.ndarray:
        """P(still active at T | x, t_x, T)."""
        x, t_x, T = check_rfm(frequency, recency, T)
        r, alpha, a, b = self._params()
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds = np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        return np.where(x > 0, 1.0 / (1.0 + np.exp(log_odds)), 1.0)

    def probability_of_purchase(self, t, frequency, recency, T) -> np.ndarray:
        """P(at least one purchase in (T, T + t] | x, t_x, T): a customer drops out only just after a purchase,
        so one active at T buys in the window unless the Gamma(r + x, alpha + T) rate gives no purchase."""
        x, t_x, T = check_rfm(frequency, recency, T)
        r, alpha, _, _ = self._params()
        return self.probability_alive(x, t_x, T) * (1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x))

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[purchases in (T, T + t] | x, t_x, T]."""
        x, t_x, T = check_rfm(frequency, recency, T)
        r, alpha, a, b = self._params()
        hyper = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        numerator = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyper)
        with np.errstate(divide="ignore", invalid="ignore"):
            dropped_odds = np.where(x > 0, a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
        return np.maximum(numerator / (1 + dropped_odds), 0.0)

    def simulate_purchases(self, rng, ends, frequency, recency, T) -> np.ndarray:
        """One draw of each customer's purchases in the periods ending `ends` days (increasing) after T, customers x
        periods. Still active at T with probability_alive; then, as the history implies, the rate is
        Gamma(r + x, alpha + T) and the dropout probability Beta(a, b + x), and the customer stops after the
        Geometric(p)-th purchase (drawn by inversion: a dropout probability of 0, which a boundary fit can draw,
        never stops)."""
        x, t_x, T = check_rfm(frequency, recency, T)
        r, alpha, a, b = self._params()
        alive = rng.random(x.size) < self.probability_alive(x, t_x, T)
        rate = rng.gamma(r + x, 1.0 / (alpha + T))
        dropout = rng.beta(a, b + x)
        with np.errstate(divide="ignore"):
            last = np.floor(np.log(rng.random(x.size)) / np.log1p(-dropout)) + 1
        made = np.cumsum(rng.poisson(rate[:, None] * np.diff(ends, prepend=0.0)), axis=1)
        bought = np.minimum(made, last[:, None]).astype(np.int64)
        return np.diff(bought, axis=1, prepend=0) * alive[:, None]
