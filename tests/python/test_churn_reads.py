"""What the churn Python models read: whole cutoffs and a deterministic sample, filtered in the warehouse."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from customer_scoring.churn import importance_rows, primary_fit_rows, scoring_rows, validation_rows
from customer_scoring.churn.features import at_most
from customer_scoring.frames import filtered_frame

HORIZON_DAYS = 90
# Ten month ends of 1,000 rows each, the last three not yet labelled.
CUTOFFS = pd.DataFrame(
    {
        "cutoff_date": pd.date_range("2024-01-31", periods=10, freq="ME"),
        "feature_rows": 1_000,
        "labelled_rows": [1_000] * 7 + [0] * 3,
    }
)


def test_every_row_is_read_while_the_windows_fit_the_cap():
    assert primary_fit_rows(CUTOFFS, HORIZON_DAYS, 10_000) == "true"
    assert validation_rows(CUTOFFS, HORIZON_DAYS, 10_000) == "true"
    assert importance_rows(CUTOFFS, 10_000) == "true"


def test_the_cutoffs_used_whole_are_read_whole_and_the_rest_sampled():
    # Labelled 2024-01 .. 2024-07; horizons ending by 2024-07-31: 2024-01 .. 2024-04 (the final fit trains
    # there); by 2024-04-30: 2024-01 (the validation trains there, calibrates at 2024-04, tests at 2024-07).
    assert primary_fit_rows(CUTOFFS, HORIZON_DAYS, 1_000) == (
        "cutoff_date in (date '2024-07-31') or sample_fraction < 0.25"
    )
    assert validation_rows(CUTOFFS, HORIZON_DAYS, 500) == (
        "cutoff_date in (date '2024-04-30', date '2024-07-31') or sample_fraction < 0.5"
    )
    assert importance_rows(CUTOFFS, 1_400) == "sample_fraction < 0.2"


def test_the_scores_read_the_two_latest_cutoffs_whole_and_nothing_else():
    assert scoring_rows(CUTOFFS) == "cutoff_date in (date '2024-09-30', date '2024-10-31')"


def test_without_a_calibration_cutoff_the_training_cutoffs_are_read_whole():
    # Labelled 2024-01 .. 2024-04: only 2024-01's horizon ends by the last, so no later cutoff calibrates.
    short = CUTOFFS.head(5).assign(labelled_rows=[1_000] * 4 + [0])
    assert validation_rows(short, HORIZON_DAYS, 100) == "true"


@pytest.fixture
def warehouse_rows():
    rng = np.random.default_rng(0)
    rows = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(4_000)],
            "cutoff_date": np.repeat(pd.date_range("2024-01-31", periods=4, freq="ME"), 1_000),
            "sample_fraction": rng.random(4_000),
        }
    )
    with duckdb.connect() as con:
        yield con.from_df(rows)


def test_the_warehouse_filter_and_at_most_draw_one_sample(warehouse_rows):
    """A window sampled at a share above what it needs, then cut by at_most, keeps exactly the rows of the
    window with the smallest fractions: the same sample as cutting the whole window."""
    everything = filtered_frame(warehouse_rows, "true", ["cutoff_date", "customer_id"])
    read = filtered_frame(
        warehouse_rows, "cutoff_date in (date '2024-04-30') or sample_fraction < 0.2", ["cutoff_date", "customer_id"]
    )
    assert len(read) < len(everything)
    assert at_most(read, 500).reset_index(drop=True).equals(at_most(everything, 500).reset_index(drop=True))
    assert len(at_most(read, 500)) == 500
    assert at_most(read, 10_000) is read
