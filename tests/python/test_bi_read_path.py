"""BI tools' read path: SQLAlchemy through duckdb-engine (what Superset and many notebooks use) opens the
published warehouse read-only, lists every mart, and reads each with the types its dbt contract declares."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import pytest
import sqlalchemy as sa

# A contract's data type, and what SQLAlchemy reads its values as.
PYTHON_TYPES = {
    "string": str,
    "boolean": bool,
    "integer": int,
    "bigint": int,
    "double": float,
    "decimal(18,2)": decimal.Decimal,
    "date": dt.date,
    "timestamp": dt.datetime,
}


@pytest.fixture(scope="module")
def engine(published):
    engine = sa.create_engine(f"duckdb:///{published}", connect_args={"read_only": True})
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def contracts(warehouse) -> dict[str, dict[str, str]]:
    """Each contracted mart's columns and data types, from the build's manifest."""
    nodes = json.loads((warehouse.parent / "target" / "manifest.json").read_text())["nodes"].values()
    return {
        node["name"]: {name: column["data_type"] for name, column in node["columns"].items()}
        for node in nodes
        if node["resource_type"] == "model" and node["config"]["contract"]["enforced"]
    }


def test_every_mart_reads_with_its_contract_types(engine, contracts):
    with engine.connect() as con:
        inspector = sa.inspect(con)
        assert set(contracts) <= set(inspector.get_table_names())
        row_counts = dict(con.execute(sa.text("select table_name, row_count from publication")).fetchall())
        for mart, columns in contracts.items():
            reflected = inspector.get_columns(mart)
            assert [column["name"] for column in reflected] == list(columns), mart
            types = {column["name"]: column["type"].python_type for column in reflected}
            assert types == {name: PYTHON_TYPES[data_type] for name, data_type in columns.items()}, mart
            rows = con.execute(sa.select(sa.table(mart, *map(sa.column, columns)))).fetchall()
            assert len(rows) == row_counts[mart], mart
            # An empty mart has no values to check (zip stops at once).
            for name, values in zip(columns, zip(*rows, strict=True), strict=False):
                wrong = {type(value) for value in values if value is not None and type(value) is not types[name]}
                assert not wrong, f"{mart}.{name}: {wrong}"


def test_the_read_path_cannot_write(engine):
    with engine.connect() as con, pytest.raises(sa.exc.DBAPIError, match="read-only"):
        con.execute(sa.text("delete from customer_scores"))
