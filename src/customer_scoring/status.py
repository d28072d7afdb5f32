"""The current publication, and what each fitted model could do with the data at hand (`model_status`).

A model that cannot be fitted or validated on the data (too short a history, too few repeat buyers, one
class only) does not fail the build: its family's functions raise `Unfittable`, the dbt Python model
publishes no scores for it, and its status row says why and what data it would need.

    customer-scoring status [--published data/warehouse.duckdb]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb
import pandas as pd

from customer_scoring.cli import run_module

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


def print_publication(published: Path) -> None:
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute("select table_name, row_count, published_at from publication order by table_name").fetchall()
    print(f"\nPublished {published.resolve()} at {rows[0][2]:%Y-%m-%d %H:%M:%S}:")
    for table_name, row_count, _ in rows:
        print(f"  {table_name:<34} {row_count:>12,} rows")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default = os.environ.get("CUSTOMER_SCORING_PUBLISHED", "data/warehouse.duckdb")
    parser.add_argument("--published", type=Path, default=Path(default), help="the published warehouse")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    if not args.published.is_file():
        parser.error(f"no publication at {args.published}: run `customer-scoring build` first")
    print_publication(args.published)
    with duckdb.connect(str(args.published), read_only=True) as con:
        rows = con.execute(
            "select model_family, model_name, status, is_selected, coalesce(validation, reason), as_of_date"
            " from model_status order by model_family, model_name"
        ).fetchall()
    print(f"\nModels as of {rows[0][5]}:" if rows else "\nNo model status published.")
    for family, model, status, is_selected, detail, _ in rows:
        selected = "selected" if is_selected else ""
        print(f"  {family:<9} {model:<20} {status:<8} {selected:<8} {detail or ''}")


if __name__ == "__main__":
    sys.exit(run_module(sys.modules[__name__]))
