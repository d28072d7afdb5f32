"""How dbt Python models read their refs: as pandas frames in one fixed row order, on DuckDB and on Spark.

A warehouse returns the rows of a table built by a parallel query in whatever order its threads wrote
them. Fits, samples and tie-breaks follow row order, so every frame is sorted by its key first: the same
data then gives bit-identical scores, run after run.

On DuckDB a ref is a relation; on Spark a Spark DataFrame, whose rows come to the driver as Arrow and are
turned into pandas by DuckDB too, so both engines hand the models the same dtypes (decimals as floats,
nullable integers as `Int32`/`Int64`, dates as `datetime64`). Spark's timestamps are instants, read in the
session's time zone (UTC, profiles.yml): as UTC wall-clock time they are DuckDB's zoneless timestamps.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa


def sorted_frame(relation, order_by: list[str]) -> pd.DataFrame:
    """A ref (`dbt.ref(...)`, written out in the model so that dbt sees the dependency) as a pandas frame
    sorted by `order_by`, a key of the table. DuckDB sorts, on both cores and before the rows become pandas
    objects, by the same rules for a DuckDB and a Spark ref."""
    return _pandas(relation, order_by)


def frame(relation) -> pd.DataFrame:
    """A ref as a pandas frame in the order the warehouse returns it: for a table of one row or none."""
    return _pandas(relation, [])


def _pandas(relation, order_by: list[str]) -> pd.DataFrame:
    if hasattr(relation, "toArrow"):  # a Spark DataFrame
        table = relation.toArrow()
        zoneless = pa.schema(
            field.with_type(pa.timestamp(field.type.unit)) if pa.types.is_timestamp(field.type) else field
            for field in table.schema
        )
        with duckdb.connect() as connection:
            return _pandas(connection.from_arrow(table.cast(zoneless)), order_by)
    if order_by:
        relation = relation.order(", ".join(f'"{column}" asc nulls last' for column in order_by))
    return relation.df()


def filtered_frame(relation, where: str, order_by: list[str], columns: list[str] | None = None) -> pd.DataFrame:
    """`sorted_frame` of the rows of `relation` that the SQL condition `where` keeps, and of only `columns` when
    given: the warehouse filters them (`.filter` and `.select` of a DuckDB relation or a Spark DataFrame) before
    any row crosses into Python."""
    kept = relation.filter(where)
    return sorted_frame(kept if columns is None else kept.select(*columns), order_by)
