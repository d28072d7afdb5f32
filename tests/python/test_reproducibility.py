"""Same input, same output: a rebuild of the same raw data publishes bit-identical tables, and a rerun adds
no score history. And rows that arrive before their customer are checked again when the customer does."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from conftest import RUN_COLUMNS

from customer_scoring.publish import publish, published_tables


def table_hashes(path) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent hash of every row of every table dbt or the publication wrote (the main
    schema's)."""
    hashes = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("select table_name from duckdb_tables() where schema_name = 'main' order by 1").fetchall()
        for (table,) in tables:
            columns = [
                f'"{name}"'
                for (name,) in con.execute(
                    "select column_name from duckdb_columns() where schema_name = 'main' and table_name = ?"
                    " order by column_index",
                    [table],
                ).fetchall()
                if name not in RUN_COLUMNS and not name.startswith("dbt_")
            ]
            query = f'select count(*), sum(hash(struct_pack({", ".join(columns)}))::hugeint) from "{table}"'
            hashes[table] = con.execute(query).fetchone()
    return hashes


def test_a_rebuild_publishes_identical_tables_and_a_rerun_adds_no_history(dbt, dataset, published, tmp_path):
    rebuild = tmp_path / "rebuild.duckdb"
    dbt(["build"], dataset["raw"], rebuild)
    republished = tmp_path / "published.duckdb"
    publish(rebuild, republished, published_tables(tmp_path / "target" / "manifest.json"), "rebuild")
    first, second = table_hashes(published), table_hashes(republished)
    assert first.keys() == second.keys()
    assert {table for table in first if first[table] != second[table]} == set()

    with duckdb.connect(str(rebuild), read_only=True) as con:
        (versions,) = con.execute("select count(*) from customer_scores_history").fetchone()
    dbt(["build", "--select", "customer_scores_history"], dataset["raw"], rebuild)
    with duckdb.connect(str(rebuild), read_only=True) as con:
        assert con.execute("select count(*) from customer_scores_history").fetchone()[0] == versions


def test_rows_that_arrive_before_their_customer_are_checked_again(dbt, dataset, tmp_path):
    """Day one: the CRM lacks some customers whose orders and visits are there; day two: they arrive, with a late
    visit, in a file of its own, that reuses a loaded visit's id an hour earlier, by another customer, so the loaded
    one becomes the duplicate; and, in another new file, two customers' newer CRM records, one with another plan, one
    signed up a month earlier (over a value-forecast cutoff). The events are loaded from the new file alone; the
    incremental base and validated tables, the session roll-up of the visits validated anew (of the customers who
    arrived, and of the one who lost a visit without a new row of their own) and the feature marts (the CRM
    attributes updated in place, the cutoffs since the customers' signups recomputed) then equal a full refresh."""
    day_one, day_two, warehouse = tmp_path / "day_one", tmp_path / "day_two", tmp_path / "incremental.duckdb"
    shutil.copytree(dataset["raw"], day_one)
    crm = pq.read_table(day_one / "crm_customers.parquet")
    late = pc.ends_with(pc.fill_null(crm["customer_id"], ""), "7")
    pq.write_table(crm.filter(pc.invert(late)), day_one / "crm_customers.parquet")
    models = ["+int_orders_validated", "+customer_churn_features", "+customer_value_features"]
    dbt(["run", "--select", *models], day_one, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (waiting,) = con.execute(
            "select count(*) from int_orders_validated where rejection_reason = 'unknown_customer'"
        ).fetchone()
        valid = "from int_web_events_validated where rejection_reason is null and customer_id is not null"
        event_id, loser, event_at = con.execute(
            f"select event_id, customer_id, event_at {valid} order by event_id"
        ).fetchone()
        (winner,) = con.execute(f"select min(customer_id) {valid} and customer_id != ?", [loser]).fetchone()
        (moved,) = con.execute(
            "select customer_id from stg_crm__customers as crm where exists (select 1 from customer_value_features as"
            " features where features.cutoff_date between crm.signup_date - 31 and crm.signup_date - 1)"
            " and customer_id not in (select customer_id from int_orders_validated"
            " where rejection_reason = 'order_before_signup') order by 1"
        ).fetchone()
        replanned, plan = con.execute(
            "select customer_id, plan from customer_churn_features where customer_id != ? order by 1", [moved]
        ).fetchone()
    shutil.copytree(dataset["raw"], day_two)
    updates = crm.filter(pc.is_in(crm["customer_id"], pa.array([moved, replanned]))).to_pandas()
    updates["updated_at"] = "2030-01-01 00:00:00"
    is_moved = updates["customer_id"] == moved
    updates.loc[is_moved, "signup_date"] = (
        pd.to_datetime(updates.loc[is_moved, "signup_date"]) - timedelta(days=31)
    ).dt.strftime("%Y-%m-%d")
    updates.loc[~is_moved, "plan"] = next(other for other in crm["plan"].unique().to_pylist() if other != plan)
    pq.write_table(pa.Table.from_pandas(updates, crm.schema), day_two / "crm_customers_updates.parquet")
    events = pq.read_table(day_two / "web_events.parquet")
    earlier = (event_at - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    late_visit = [[event_id], [winner], [earlier], ["page_view"], ["home"], [10]]
    pq.write_table(pa.table(late_visit, schema=events.schema), day_two / "web_events_late.parquet")
    dbt(["run", "--select", *models], day_two, warehouse)
    # The events file loaded on day one holds as many rows as were loaded from it: day two reads the new one alone.
    load = (tmp_path / "target/compiled/customer_scoring/models/staging/web/base/base_web__events.sql").read_text()
    assert set(re.findall(r"raw_file in \(\s*([^)]*?)\s*\)", load)) == {"'web_events_late.parquet'"}
    refreshed = tmp_path / "full_refresh.duckdb"
    dbt(["run", "--select", *models], day_two, refreshed)
    assert waiting > 100
    with duckdb.connect(str(warehouse), read_only=True) as con:
        reason = "select rejection_reason from int_web_events_validated where event_id = ? and customer_id = ?"
        assert con.execute(reason, [event_id, loser]).fetchone() == ("duplicate_event_id",)
    for table in (
        "base_web__events",
        "int_orders_validated",
        "int_web_events_validated",
        "int_web_events_rolled_up_to_session_days",
        "int_customer_daily_activity",
        "fct_web_sessions",
        "customer_churn_features",
        "customer_value_features",
    ):
        assert table_hashes(warehouse)[table] == table_hashes(refreshed)[table], table
