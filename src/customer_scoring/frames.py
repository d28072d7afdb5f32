"""How dbt Python models read their refs: as pandas frames in one fixed row order.

A warehouse returns the rows of a table built by a parallel query in whatever order its threads wrote
them. Fits, samples and tie-breaks follow row order, so every frame is sorted by its key first: the same
data then gives bit-identical scores, run after run.
"""

from __future__ import annotations

import pandas as pd


def sorted_frame(relation, order_by: list[str]) -> pd.DataFrame:
    """A ref (`dbt.ref(...)`, written out in the model so that dbt sees the dependency) as a pandas frame
    sorted by `order_by`, a key of the table."""
    return relation.df().sort_values(order_by, ignore_index=True, kind="stable")


def filtered_frame(relation, where: str, order_by: list[str]) -> pd.DataFrame:
    """`sorted_frame` of the rows of `relation` that the SQL condition `where` keeps: the warehouse filters
    them (`.filter` of a DuckDB relation or a Spark DataFrame) before any row crosses into Python."""
    return sorted_frame(relation.filter(where), order_by)
