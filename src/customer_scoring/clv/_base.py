"""What the buy-till-you-die models share: input checks, compression to unique rows, the optimizer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

MIN_CUSTOMERS = 20


class ConvergenceError(RuntimeError):
    """The optimizer stopped without reaching a maximum of the likelihood."""


@dataclass(frozen=True)
class Summary:
    """Unique (frequency, recency, T) rows and how many customers share each."""

    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    weights: np.ndarray

    def __post_init__(self):
        distinct, index = np.unique(self.frequency, return_inverse=True)
        object.__setattr__(self, "_distinct_frequency", (distinct, index))

    def per_frequency(self, function) -> np.ndarray:
        """function(frequency) per row, evaluated once per distinct frequency: special functions of
        x alone (gammaln, digamma) then cost a few hundred calls instead of one per row."""
        distinct, index = self._distinct_frequency
        return np.asarray(function(distinct))[index]


def check_rfm(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate per-customer repeat purchases, recency and age; return them as float arrays."""
    frequency, recency, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    if not frequency.shape == recency.shape == T.shape or frequency.ndim != 1:
        raise ValueError("frequency, recency and T must be 1-D arrays of the same length")
    if not (np.isfinite(frequency).all() and np.isfinite(recency).all() and np.isfinite(T).all()):
        raise ValueError("frequency, recency and T must be finite (no nulls)")
    if (frequency < 0).any() or (frequency != np.round(frequency)).any():
        raise ValueError("frequency must be a whole number of repeat purchases, not negative")
    if (recency < 0).any() or (recency > T).any():
        raise ValueError("recency must lie in [0, T]")
    if ((frequency == 0) & (recency != 0)).any():
        raise ValueError("recency must be 0 for customers without repeat purchases")
    return frequency, recency, T


def distinct_rows(*columns) -> tuple[np.ndarray, list[np.ndarray]]:
    """Codes mapping each row to its distinct row (numbered in order of first appearance), and the distinct values
    per column: a hash group-by, five times faster than factorizing a MultiIndex, which builds its tuples."""
    keys = pd.DataFrame(dict(enumerate(columns)))
    codes = keys.groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    first = np.unique(codes, return_index=True)[1]
    return codes, [np.asarray(column)[first] for column in columns]


def compress(frequency, recency, T, weights=None) -> Summary:
    """Collapse customers with identical (frequency, recency, T) into one weighted row."""
    frequency, recency, T = check_rfm(frequency, recency, T)
    weights = np.ones_like(frequency) if weights is None else np.asarray(weights, dtype=float)
    if weights.shape != frequency.shape or (weights < 0).any():
        raise ValueError("weights must be non-negative, one per customer")
    grouped = (
        pd.DataFrame({"frequency": frequency, "recency": recency, "T": T, "weights": weights})
        .groupby(["frequency", "recency", "T"], sort=False, as_index=False)["weights"]
        .sum()
    )  # a hash aggregate: much faster than np.unique over rows
    return Summary(*(grouped[c].to_numpy() for c in ("frequency", "recency", "T", "weights")))


def check_fittable(summary: Summary) -> None:
    """Refuse data that cannot identify a buy-till-you-die model, with the reason."""
    if summary.weights.sum() < MIN_CUSTOMERS:
        raise ValueError(f"need at least {MIN_CUSTOMERS} customers to fit, got {summary.weights.sum():.0f}")
    if not (summary.frequency > 0).any():
        raise ValueError("no customer has a repeat purchase: purchase rate and dropout cannot be told apart")
    if not (summary.T > 0).any():
        raise ValueError("every customer was acquired at the cutoff (T = 0): there is no history to fit")


def days_between_orders(r: float, alpha: float, frequency: np.ndarray, T: np.ndarray) -> np.ndarray:
    """1 / E[lambda]: the mean days between purchase days while the customer is active. Both models' purchase
    rate, given the customer is still active at T, is Gamma(r + x, alpha + T)."""
    return (alpha + T) / (r + frequency)


def days_to_next_purchase(r: float, alpha: float, frequency: np.ndarray, T: np.ndarray) -> np.ndarray:
    """The median days from T to the next purchase day of a customer still active at T: the wait is
    exponential at rate lambda ~ Gamma(r + x, alpha + T), so P(wait > d) = ((alpha + T) / (alpha + T + d))^(r + x)."""
    return (alpha + T) * (2.0 ** (1.0 / (r + frequency)) - 1.0)


FLAT_GRADIENT = 1e-5  # per log-parameter, of the mean negative log-likelihood


def maximize(neg_log_likelihood, x0: np.ndarray, jac: bool) -> np.ndarray:
    """Minimize a mean negative log-likelihood over log-parameters; raise ConvergenceError if it fails."""
    result = minimize(
        neg_log_likelihood, x0, jac=jac, method="L-BFGS-B", options={"maxiter": 5000, "ftol": 1e-13, "gtol": 1e-9}
    )
    # L-BFGS-B also stops "ABNORMAL" when its line search cannot improve on the optimum itself (finite-
    # difference gradients are that noisy there): a flat gradient at that point is convergence.
    flat = result.status == 2 and np.abs(result.jac).max() < FLAT_GRADIENT
    if not (result.success or flat) or not np.isfinite(result.x).all():
        raise ConvergenceError(f"likelihood maximization failed: {result.message}")
    return result.x


def log_params_covariance(objective, log_params: np.ndarray, customers: int, step: float = 1e-3) -> np.ndarray:
    """The asymptotic covariance of maximum-likelihood log-parameters: the inverse Hessian of the mean negative
    log-likelihood `objective` (central differences) over the number of customers the fit saw."""
    size = len(log_params)
    shifts = np.eye(size) * step
    hessian = np.empty((size, size))
    for i in range(size):
        for j in range(i, size):
            hessian[i, j] = hessian[j, i] = (
                objective(log_params + shifts[i] + shifts[j])
                - objective(log_params + shifts[i] - shifts[j])
                - objective(log_params - shifts[i] + shifts[j])
                + objective(log_params - shifts[i] - shifts[j])
            ) / (4 * step**2)
    return np.linalg.inv(hessian) / customers
