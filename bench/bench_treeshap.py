"""Time customer_scoring.treeshap against XGBoost's own TreeSHAP (`pred_contribs`) on the same booster and rows.

    .venv/bin/python bench/bench_treeshap.py [--rows 100000]

The booster is shaped as the churn model's settings make it (the churn_model_params var: 400 trees of depth 4)
and fitted on synthetic rows as wide as the churn design matrix; both explain the same rows. Prints each one's
seconds and rows per second, the speed-up, and the largest difference of a contribution.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import xgboost as xgb
import yaml

from customer_scoring.treeshap import Explainer

PROJECT_DIR = Path(__file__).resolve().parents[1]
WIDTH = 24  # about the churn design matrix: its numeric features and the one-hot CRM attributes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    params = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["churn_model_params"]["xgboost"]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.rows, WIDTH)).astype(np.float32)
    X[rng.random(X.shape) < 0.02] = np.nan
    y = (np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1] * X[:, 2]) + rng.normal(size=args.rows) > 0).astype(int)
    booster = xgb.XGBClassifier(**params, n_jobs=os.cpu_count()).fit(X[:50_000], y[:50_000]).get_booster()
    Explainer(booster).contributions(X[:10])  # numba compiles (or loads its cache) once per process

    start = time.perf_counter()
    reference = booster.predict(xgb.DMatrix(X), pred_contribs=True)[:, :-1]
    xgboost_seconds = time.perf_counter() - start
    start = time.perf_counter()
    ours = Explainer(booster).contributions(X)  # the tables' build included
    our_seconds = time.perf_counter() - start

    print(f"# {args.rows:,} rows x {WIDTH} features, {booster.num_boosted_rounds()} trees, {os.cpu_count()} cores")
    print("| TreeSHAP | seconds | rows per second |\n| --- | ---: | ---: |")
    for name, seconds in (("XGBoost pred_contribs", xgboost_seconds), ("customer_scoring.treeshap", our_seconds)):
        print(f"| {name} | {seconds:.2f} | {args.rows / seconds:,.0f} |")
    print(f"\nspeed-up {xgboost_seconds / our_seconds:.1f}x; largest difference {np.abs(ours - reference).max():.1e}")


if __name__ == "__main__":
    main()
