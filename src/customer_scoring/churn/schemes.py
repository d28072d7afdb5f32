"""Which labelled cutoffs train, calibrate and test the churn classifiers, as the history allows.

Validation is out of time and as used: models are tested on the last labelled cutoff; they are
calibrated (and their decision threshold chosen) on the latest cutoff whose label horizon ends by then,
and trained on the cutoffs whose label horizons end by the calibration cutoff, so no label used for
fitting looks past the cutoff it is judged on. The final fit (`scoring_scheme`) moves the same scheme
forward: it calibrates on the latest labelled cutoff.

The full scheme needs three nested horizons: train cutoffs whose labels end by the calibration cutoff,
whose label ends by the test cutoff, whose label ends by the as-of date. With only two, the models
calibrate on a held-out third of the training customers instead of a later cutoff. With less, or with
one class only, `validation_scheme` raises `Unfittable`, with what history it would take.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from customer_scoring.status import Unfittable

# The feature columns a scheme reads (`validation_scheme`, `Scheme.split`): a caller that needs only the
# scheme reads these, not every feature.
SCHEME_COLUMNS = ["customer_id", "cutoff_date", "churned"]


@dataclass(frozen=True)
class Scheme:
    """Which labelled rows train, calibrate and test a model. Training takes every labelled cutoff from
    `train_from` to `train_to`: a scheme trains on the earliest labelled cutoffs, so its window names
    them all. Without a calibration cutoff, a held-out third of the training customers calibrates (and
    picks the threshold) instead."""

    train_from: object
    train_to: object
    calibration_cutoff: object | None
    test_cutoff: object | None = None

    def split(self, features: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The training rows and the calibration rows."""
        labelled = features[features["churned"].notna()]
        train = labelled[labelled["cutoff_date"].between(self.train_from, self.train_to)]
        if self.calibration_cutoff is not None:
            return train, labelled[labelled["cutoff_date"] == self.calibration_cutoff]
        held_out = pd.util.hash_pandas_object(train["customer_id"], index=False).to_numpy() % 3 == 0
        return train[~held_out], train[held_out]

    def describe(self) -> str:
        parts = [f"train on cutoffs {_day(self.train_from)} to {_day(self.train_to)}"]
        if self.calibration_cutoff is None:
            parts.append("calibrate on a held-out third of their customers")
        else:
            parts.append(f"calibrate at {_day(self.calibration_cutoff)}")
        if self.test_cutoff is not None:  # the final fit is not tested
            parts.append(f"test at {_day(self.test_cutoff)}")
        return ", ".join(parts)


def _day(cutoff) -> str:
    return f"{pd.Timestamp(cutoff):%Y-%m-%d}"


def labelled_cutoffs(features: pd.DataFrame) -> list:
    """The cutoffs with a known label, in order."""
    return sorted(features.loc[features["churned"].notna(), "cutoff_date"].unique())


def horizon_ended_by(cutoffs: list, date, horizon_days: int) -> list:
    """The cutoffs whose label horizon is over by `date`."""
    return [c for c in cutoffs if pd.Timestamp(c) + pd.Timedelta(days=horizon_days) <= pd.Timestamp(date)]


def _trained_on(train: list, calibration_cutoff) -> Scheme:
    return Scheme(train[0], train[-1], calibration_cutoff)


def _scheme_before(cutoffs: list, date, horizon_days: int) -> Scheme | None:
    """The longest scheme whose labels all end by `date` (None: not even two nested horizons)."""
    ended = horizon_ended_by(cutoffs, date, horizon_days)
    if not ended:
        return None
    train = horizon_ended_by(ended, ended[-1], horizon_days)
    return _trained_on(train, ended[-1]) if train else _trained_on(ended, None)


def _requirement(horizon_days: int) -> str:
    return (
        f"a month end with active buyers at least {2 * horizon_days} days before the as-of date, so that one "
        f"{horizon_days}-day outcome ends before a later cutoff whose outcome is known; "
        f"{3 * horizon_days} days to also calibrate on a later cutoff"
    )


def _check_classes(rows: pd.DataFrame, role: str, horizon_days: int) -> None:
    if rows["churned"].nunique() < 2:
        raise Unfittable(
            f"the {role} rows hold only one class ({len(rows)} rows): churn cannot be learned or judged there",
            f"customers who churn and customers who stay at the {role} cutoffs; {_requirement(horizon_days)}",
        )


def validation_scheme(features: pd.DataFrame, horizon_days: int) -> Scheme:
    """Test on the last labelled cutoff, with the longest scheme before it; Unfittable if there is none."""
    cutoffs = labelled_cutoffs(features)
    scheme = _scheme_before(cutoffs[:-1], cutoffs[-1], horizon_days) if cutoffs else None
    if scheme is None:
        known = f"{len(cutoffs)} cutoff(s) with a known {horizon_days}-day outcome"
        raise Unfittable(f"{known}, none ending before another", _requirement(horizon_days))
    scheme = Scheme(scheme.train_from, scheme.train_to, scheme.calibration_cutoff, cutoffs[-1])
    train, calibration = scheme.split(features)
    _check_classes(train, "training", horizon_days)
    _check_classes(calibration, "calibration", horizon_days)
    _check_classes(features[features["cutoff_date"] == cutoffs[-1]], "test", horizon_days)
    return scheme


def scoring_scheme(features: pd.DataFrame, horizon_days: int) -> Scheme:
    """The final fit: the validated scheme moved forward, calibrating on the latest labelled cutoff."""
    validation_scheme(features, horizon_days)  # no scores from a model that could not be validated
    cutoffs = labelled_cutoffs(features)
    # Validated, so some labelled horizon ends by the last labelled cutoff: there is always one to calibrate at.
    return _trained_on(horizon_ended_by(cutoffs, cutoffs[-1], horizon_days), cutoffs[-1])
