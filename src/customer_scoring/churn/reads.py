"""Which rows of the churn features each churn Python model reads: a SQL filter, applied in the warehouse.

At a million customers the features hold ~14 M (customer, cutoff) rows, while a model uses a few whole
cutoffs (calibration, test, the scored ones) and samples of at most `max_rows` of the rest. Each filter
keeps the cutoffs a model uses in full and a deterministic sample of the other rows (`sample_fraction`,
a stable hash of the row's key, below a share); the share gives the model's smallest sampled window
`max_rows` rows, and `at_most` cuts larger windows to `max_rows` as before. When that share is 1 (up to
`max_rows` rows) the filter keeps every row, and the models see exactly the rows they would see unfiltered.

`cutoffs` is churn_fit_cutoffs: per cutoff_date its feature_rows and labelled_rows.
"""

from __future__ import annotations

import pandas as pd

from customer_scoring.churn.schemes import horizon_ended_by

EVERY_ROW = "true"


def _filter(cutoffs: pd.DataFrame, full: list, window: list, max_rows: int) -> str:
    """Every row of the `full` cutoffs and a share of the others that gives the `window` cutoffs `max_rows`."""
    window_rows = int(cutoffs.loc[cutoffs["cutoff_date"].isin(window), "feature_rows"].sum())
    if window_rows <= max_rows:
        return EVERY_ROW
    sample = f"sample_fraction < {max_rows / window_rows!r}"
    return f"{_whole(full)} or {sample}" if full else sample


def _whole(cutoffs: list) -> str:
    days = ", ".join(f"date '{pd.Timestamp(cutoff):%Y-%m-%d}'" for cutoff in cutoffs)
    return f"cutoff_date in ({days})"


def _labelled(cutoffs: pd.DataFrame) -> list:
    return sorted(cutoffs.loc[cutoffs["labelled_rows"] > 0, "cutoff_date"])


def _windows(cutoffs: pd.DataFrame, horizon_days: int) -> tuple[list, list, list] | None:
    """The labelled cutoffs, those whose horizon ends by the last one (the final fit's training window and
    the validation's survival window), and those whose horizon ends by the latest of these (the
    validation's training window); None when the history cannot validate a model."""
    labelled = _labelled(cutoffs)
    ended = horizon_ended_by(labelled, labelled[-1], horizon_days) if labelled else []
    if not ended:
        return None
    return labelled, ended, horizon_ended_by(ended, ended[-1], horizon_days)


def primary_fit_rows(cutoffs: pd.DataFrame, horizon_days: int, max_rows: int) -> str:
    """The final fit: trains on the labelled cutoffs whose horizon ends by the last one, calibrates on it; the
    survival model beside it fits on the sample's rows before the scored cutoffs."""
    windows = _windows(cutoffs, horizon_days)
    if windows is None:
        return EVERY_ROW
    labelled, ended, _ = windows
    return _filter(cutoffs, [labelled[-1]], ended, max_rows)


def validation_rows(cutoffs: pd.DataFrame, horizon_days: int, max_rows: int) -> str:
    """The out-of-time validation (and model status): tests on the last labelled cutoff, calibrates on the
    latest whose horizon ends by then and trains before it; without that calibration cutoff a held-out
    third of the training customers calibrates, so the training cutoffs are read in full."""
    windows = _windows(cutoffs, horizon_days)
    if windows is None or not windows[2]:
        return EVERY_ROW
    labelled, ended, train = windows
    return _filter(cutoffs, [ended[-1], labelled[-1]], train, max_rows)


def scoring_rows(cutoffs: pd.DataFrame) -> str:
    """The scores: the as-of cutoff and the one before it, whole (the registered models score them)."""
    return _whole(sorted(cutoffs["cutoff_date"])[-2:])


def importance_rows(cutoffs: pd.DataFrame, max_rows: int) -> str:
    """The feature importance: mean |SHAP| over a sample of the labelled rows."""
    return _filter(cutoffs, [], _labelled(cutoffs), max_rows)
