"""Fit our BG/NBD, Pareto/NBD and Gamma-Gamma and plain lifetimes on the same customers; print speed-ups.

    .venv/bin/python bench/bench_clv.py --sizes 10000 100000 1000000

Customers are simulated from BG/NBD and Gamma-Gamma with purchases counted in whole days, as the
warehouse counts them. Each row reports both fit times, their ratio (lifetimes / ours, measured in the
same run) and the largest relative parameter difference. lifetimes' Pareto/NBD takes minutes from
~100k customers on; sizes above --reference-limit skip it and report our time alone.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

from customer_scoring.clv import BetaGeoModel, GammaGammaModel, ParetoNBDModel


def simulate(n: int, seed: int = 0):
    """Repeat purchase days, recency and age in whole days, and mean repeat spend, for n customers."""
    rng = np.random.default_rng(seed)
    lam, p = rng.gamma(0.75, 1 / 40, n), rng.beta(0.8, 2.5, n)
    age = rng.integers(1, 3 * 365, n).astype(float)
    t, last, x = np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.arange(n)
    while active.size:
        t[active] += rng.exponential(1 / lam[active])
        active = active[t[active] < age[active]]
        x[active] += 1
        last[active] = np.floor(t[active])
        active = active[rng.random(active.size) >= p[active]]
    nu = rng.gamma(4.0, 1 / 15, n)
    spend = np.where(x > 0, np.round(rng.gamma(6.0 * np.maximum(x, 1), 1 / nu) / np.maximum(x, 1), 2), 0.0)
    return x, last, age, spend


def timed(fit, *args):
    start = time.perf_counter()
    result = fit(*args)
    return result, time.perf_counter() - start


def largest_relative_difference(ours: dict, theirs) -> float:
    return max(abs(ours[k] - theirs[k]) / abs(theirs[k]) for k in ours)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--reference-limit", type=int, default=200_000, help="largest size lifetimes Pareto/NBD fits")
    args = parser.parse_args()

    print(f"{'customers':>10} {'model':<12} {'ours s':>8} {'lifetimes s':>12} {'speed-up':>9} {'max rel diff':>13}")
    for n in args.sizes:
        x, recency, age, spend = simulate(n)
        repeat = x > 0
        cases = [
            ("bg_nbd", BetaGeoModel, BetaGeoFitter, (x, recency, age), True),
            ("pareto_nbd", ParetoNBDModel, ParetoNBDFitter, (x, recency, age), n <= args.reference_limit),
            ("gamma_gamma", GammaGammaModel, GammaGammaFitter, (x[repeat], spend[repeat]), True),
        ]
        for name, ours_class, reference_class, data, run_reference in cases:
            ours, ours_s = timed(ours_class().fit, *data)
            row = f"{n:>10,} {name:<12} {ours_s:>8.2f}"
            if run_reference:
                theirs, theirs_s = timed(reference_class().fit, *data)
                difference = largest_relative_difference(ours.params_, theirs.params_)
                row += f" {theirs_s:>12.2f} {theirs_s / ours_s:>8.1f}x {difference:>13.1e}"
            else:
                row += f" {'skipped':>12}"
            print(row, flush=True)


if __name__ == "__main__":
    main()
