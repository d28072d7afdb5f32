"""What each fitted model could do with the data at hand: the rows of the published `model_status`.

A model that cannot be fitted or validated on the data (too short a history, too few repeat buyers, one
class only) does not fail the build: its family's functions raise `Unfittable`, the dbt Python model
publishes no scores for it, and its status row says why and what data it would need.
"""

from __future__ import annotations

import pandas as pd

FITTED, SKIPPED = "fitted", "skipped"
COLUMNS = ["model_family", "model_name", "status", "is_selected", "validation", "reason", "requirement"]
# Every column but the flag is text.
COLUMN_TYPES = {column: "bool" if column == "is_selected" else "string" for column in COLUMNS}


class Unfittable(ValueError):
    """The data cannot fit or validate a model: `reason` says why, `requirement` what it would take."""

    def __init__(self, reason: str, requirement: str):
        super().__init__(f"{reason} (needs {requirement})")
        self.reason, self.requirement = reason, requirement


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    """No rows, typed as `columns` says: what a step publishes when the data cannot fit its model."""
    return pd.DataFrame(columns=list(columns)).astype(columns)


def status_frame(rows: list[dict]) -> pd.DataFrame:
    """Status rows in the published column order, typed as COLUMN_TYPES."""
    return pd.DataFrame(rows, columns=COLUMNS).astype(COLUMN_TYPES)


def fitted(family: str, model: str, validation: str, is_selected: bool = False) -> dict:
    return {"model_family": family, "model_name": model, "status": FITTED, "validation": validation,
            "is_selected": is_selected}  # fmt: skip


def skipped(family: str, model: str, error: Unfittable) -> dict:
    return {"model_family": family, "model_name": model, "status": SKIPPED, "is_selected": False,
            "reason": error.reason, "requirement": error.requirement}  # fmt: skip
