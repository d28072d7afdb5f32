"""Pareto/NBD: Poisson purchases with an exponential lifetime.

Schmittlein, Morrison & Colombo (1987), "Counting Your Customers: Who Are They and What Will They Do
Next?", Management Science 33(1); likelihood as in Fader, Hardie & Lee (2005), "A Note on Deriving the
Pareto/NBD Model and Related Expressions". While alive, a customer buys at rate lambda ~ Gamma(r, alpha)
and dies at rate mu ~ Gamma(s, beta), at any time. For x repeat purchases, the last at t_x, age T:

    L = Gamma(r + x) alpha^r beta^s / Gamma(r)
        * [ (alpha + T)^-(r + x) (beta + T)^-s + s / (r + s + x) * A_0 ]

with A_0 a difference of Gauss hypergeometric terms. Maximized in log space over unique rows weighted
by count; the gradient is numerical (the hypergeometric terms have no cheap closed-form derivative).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, hyp2f1

from customer_scoring.clv._base import Summary, check_fittable, check_rfm, compress, distinct_rows, maximize

PARAMS = ("r", "alpha", "s", "beta")


@dataclass(frozen=True)
class _Pairs:
    """Unique (x, t) pairs. A_0's hypergeometric terms depend on x with t_x or with T, never on all three,
    so evaluating them per pair instead of per (x, t_x, T) row saves most of the work."""

    x: np.ndarray
    t: np.ndarray
    inverse: np.ndarray

    @classmethod
    def of(cls, x, t) -> _Pairs:
        codes, (distinct_x, distinct_t) = distinct_rows(x, t)
        return cls(distinct_x, distinct_t, codes)


def _log_a0(params, x, recency: _Pairs, age: _Pairs):
    r, alpha, s, beta = params
    low, high = min(alpha, beta), max(alpha, beta)
    second = (lambda pairs: r + pairs.x) if alpha < beta else (lambda pairs: s + 1.0)

    def log_hyp(pairs: _Pairs):
        rsx = r + s + pairs.x
        return np.log(hyp2f1(rsx, second(pairs), rsx + 1.0, (high - low) / (high + pairs.t)))[pairs.inverse]

    rsx = r + s + x
    log_q_recency, log_q_age = np.log(high + recency.t)[recency.inverse], np.log(high + age.t)[age.inverse]
    # log(exp(u) - exp(w)) for u > w, without overflow
    u = log_hyp(recency) + rsx * log_q_age
    w = log_hyp(age) + rsx * log_q_recency
    with np.errstate(divide="ignore"):  # t_x = T gives A_0 = 0, whose log is -inf
        return u + np.log1p(-np.exp(w - u)) - rsx * (log_q_recency + log_q_age)


def _rate_share(a1, b1, a2, b2) -> np.ndarray:
    """E[lambda / (lambda + mu)] for independent lambda ~ Gamma(a1, rate b1), mu ~ Gamma(a2, rate b2). With c = b1 /
    b2, lambda / (lambda + mu) = B / (B + c (1 - B)) for B ~ Beta(a1, a2); Euler's integral gives
    a1 / (a1 + a2) / c * 2F1(1, a1 + 1; a1 + a2 + 1; 1 - 1 / c), used for c >= 1 and, with the two rates
    swapped, for c < 1, so that the argument stays in [0, 1)."""
    a1, b1, a2, b2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a1, b1, a2, b2)))
    c = b1 / b2
    direct = a1 / (a1 + a2) / c * hyp2f1(1.0, a1 + 1.0, a1 + a2 + 1.0, 1.0 - 1.0 / np.maximum(c, 1.0))
    swapped = 1.0 - a2 / (a1 + a2) * c * hyp2f1(1.0, a2 + 1.0, a1 + a2 + 1.0, 1.0 - np.minimum(c, 1.0))
    return np.where(c >= 1.0, direct, swapped)


def _log_likelihood(params, x, t_x, T, recency: _Pairs, age: _Pairs):
    r, alpha, s, beta = params
    # Terms of x or T alone are evaluated per (x, T) pair, far fewer than rows, and gathered.
    head = gammaln(r + age.x)[age.inverse] - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + age.t)[age.inverse] - s * np.log(beta + age.t)[age.inverse]
    died = np.log(s) - np.log(r + s + age.x)[age.inverse] + _log_a0(params, x, recency, age)
    return head + np.logaddexp(alive, died)


def _neg_mean_log_likelihood(log_params, s: Summary, recency: _Pairs, age: _Pairs) -> float:
    with np.errstate(all="ignore"):
        ll = _log_likelihood(np.exp(log_params), s.frequency, s.recency, s.T, recency, age)
    value = -np.dot(s.weights, ll) / s.weights.sum()
    return value if np.isfinite(value) else np.inf


class ParetoNBDModel:
    """Pareto/NBD fitted by maximum likelihood; `params_` holds r, alpha, s, beta."""

    PARAMS = PARAMS  # the order `objective` takes the log-parameters in

    def fit(self, frequency, recency, T, weights=None) -> ParetoNBDModel:
        summary = compress(frequency, recency, T, weights)
        check_fittable(summary)
        mean_rate = summary.frequency.dot(summary.weights) / summary.T.dot(summary.weights)
        scale = 1.0 / max(mean_rate, 1e-6)
        x0 = np.log([1.0, scale, 1.0, scale])
        recency, age = _Pairs.of(summary.frequency, summary.recency), _Pairs.of(summary.frequency, summary.T)
        log_params = maximize(lambda z: _neg_mean_log_likelihood(z, summary, recency, age), x0, jac=False)
        self.params_ = dict(zip(PARAMS, np.exp(log_params), strict=True))
        self.log_likelihood_ = -_neg_mean_log_likelihood(log_params, summary, recency, age) * summary.weights.sum()
        return self

    def objective(self, frequency, recency, T):
        """The mean negative log-likelihood of these customers as a function of the log-parameters (PARAMS order)."""
        summary = compress(frequency, recency, T)
        recency, age = _Pairs.of(summary.frequency, summary.recency), _Pairs.of(summary.frequency, summary.T)
        return lambda log_params: _neg_mean_log_likelihood(log_params, summary, recency, age)

    def _params(self):
        return tuple(self.params_[name] for name in PARAMS)

    def probability_alive(self, frequency, recency, T) -> np.ndarray:
        """P(still active at T | x, t_x, T)."""
        x, t_x, T = check_rfm(frequency, recency, T)
        r, alpha, s, beta = params = self._params()
        log_odds = (
            np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + T) + s * np.log(beta + T)
            + _log_a0(params, x, _Pairs.of(x, t_x), _Pairs.of(x, T))
        )  # fmt: skip
        return 1.0 / (1.0 + np.exp(log_odds))

    def probability_of_purchase(self, t, frequency, recency, T) -> np.ndarray:
        """P(at least one purchase in (T, T + t] | x, t_x, T). Active at T, with rates lambda ~ Gamma(r + x,
        alpha + T) and mu ~ Gamma(s, beta + T), the customer buys before dropping out and within t with
        probability lambda / (lambda + mu) * (1 - exp(-(lambda + mu) t)); its mean is closed form (`_rate_share`)."""
        x, t_x, T = check_rfm(frequency, recency, T)
        r, alpha, s, beta = self._params()
        # exp(-lambda t) and exp(-mu t) tilt each Gamma to rate + t, scaled by its Laplace transform.
        tilt = ((alpha + T) / (alpha + T + t)) ** (r + x) * ((beta + T) / (beta + T + t)) ** s
        bought = _rate_share(r + x, alpha + T, s, beta + T) - tilt * _rate_share(r + x, alpha + T + t, s, beta + T + t)
        return self.probability_alive(x, t_x, T) * bought

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[purchases in (T, T + t] | x, t_x, T]."""
        x, t_x, T = check_rfm(frequency, recency, T)
        r, alpha, s, beta = params = self._params()
        log_alive_mass = (
            gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            - (r + x) * np.log(alpha + T) - s * np.log(beta + T)
        )  # fmt: skip
        log_rate = np.log(r + x) + np.log(beta + T) - np.log(alpha + T)
        horizon = (1 - ((beta + T) / (beta + T + t)) ** (s - 1)) / (s - 1)
        log_likelihood = _log_likelihood(params, x, t_x, T, _Pairs.of(x, t_x), _Pairs.of(x, T))
        return np.exp(log_alive_mass + log_rate + np.log(horizon) - log_likelihood)

    def simulate_purchases(self, rng, ends, frequency, recency, T) -> np.ndarray:
        """One draw of each customer's purchases in the periods ending `ends` days (increasing) after T, customers x
        periods. Still active at T with probability_alive; then, as the history implies, the purchase rate is
        Gamma(r + x, alpha + T), the dropout rate Gamma(s, beta + T), and the remaining lifetime exponential."""
        x, t_x, T = check_rfm(frequency, recency, T)
        r, alpha, s, beta = self._params()
        alive = rng.random(x.size) < self.probability_alive(x, t_x, T)
        rate = rng.gamma(r + x, 1.0 / (alpha + T))
        lifetime = rng.exponential(1.0 / rng.gamma(s, 1.0 / (beta + T)))
        exposure = np.diff(np.minimum(np.asarray(ends)[None, :], lifetime[:, None]), axis=1, prepend=0.0)
        return rng.poisson(rate[:, None] * exposure) * alive[:, None]
