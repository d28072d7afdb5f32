"""A user's own transactions CSV maps into the orders source and builds the orders-based marts."""

from __future__ import annotations

import csv

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from customer_scoring.import_orders import import_orders, main

CSV = """InvoiceNo,CustomerID,InvoiceDate,Revenue
A1,17850,12/01/2010 08:26,15.30
A2,17850,12/03/2010 09:00,"1,020.50"
A3,13047,12/01/2010 08:34,22.00
A4,13047,12/05/2010 10:00,-5
A5,12583,12/04/2010 11:15,7.25
A6,12583,not a date,10
A6,12583,12/04/2010 11:15,7.25
"""


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "transactions.csv"
    path.write_text(CSV)
    return path


def _import(csv_file, out):
    return import_orders(
        csv_file, out, customer_id="CustomerID", date="InvoiceDate", amount="Revenue", order_id="InvoiceNo",
        date_format="%m/%d/%Y %H:%M",
    )  # fmt: skip


def test_maps_columns_and_keeps_unparseable_values_for_quarantine(csv_file, tmp_path):
    written = _import(csv_file, tmp_path / "raw")
    assert written == {"orders": 7, "crm_customers": 3, "web_events": 0}
    orders = duckdb.sql(f"select * from read_parquet('{tmp_path / 'raw' / 'orders.parquet'}') order by all").fetchall()
    assert ("A2", "17850", "2010-12-03 09:00:00", "1020.50", "USD", "completed") in orders
    assert ("A6", "12583", "not a date", "10", "USD", "completed") in orders
    assert pq.read_schema(tmp_path / "raw" / "orders.parquet").field("amount").type == pa.string()
    signups = duckdb.sql(
        f"select customer_id, signup_date from read_parquet('{tmp_path / 'raw' / 'crm_customers.parquet'}') order by 1"
    ).fetchall()
    assert signups == [("12583", "2010-12-04"), ("13047", "2010-12-01"), ("17850", "2010-12-01")]


# An amount as written, then the text the import writes with '.' and with ',' as the decimal mark:
# the plain number where it parses, else the value exactly as written, for staging to quarantine.
AMOUNTS = [
    ("15.30", "15.30", "15.30"),
    ("1,020.50", "1020.50", "1,020.50"),
    ("12,345", "12345", "12.345"),
    ("12,50", "12,50", "12.50"),
    ("1.020,50", "1.020,50", "1020.50"),
    ("1 020,50", "1 020,50", "1020.50"),
    ("1.020", "1.020", "1020"),
    ("-5", "-5", "-5"),
    ("  7.25 ", "7.25", "  7.25 "),
    (" -3,5\t", " -3,5\t", "-3.5"),
    ("$12.00", "$12.00", "$12.00"),
    ("abc", "abc", "abc"),
    ("1,2345.00", "1,2345.00", "1,2345.00"),
    ("1.020 300,5", "1.020 300,5", "1.020 300,5"),
    ("", None, None),
    ("   ", None, None),
]


@pytest.mark.parametrize("decimal_comma", [False, True], ids=["decimal-point", "decimal-comma"])
def test_amounts_parse_by_one_rule_and_otherwise_stay_as_written(decimal_comma, tmp_path):
    path = tmp_path / "amounts.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file, quoting=csv.QUOTE_ALL)
        writer.writerow(["id", "customer", "day", "amount"])
        writer.writerows([f"A{i}", "c1", "2024-01-01", written] for i, (written, _, _) in enumerate(AMOUNTS))
    import_orders(
        path, tmp_path / "raw", customer_id="customer", date="day", amount="amount", order_id="id",
        decimal_comma=decimal_comma,
    )  # fmt: skip
    amounts = dict(
        duckdb.sql(f"select order_id, amount from read_parquet('{tmp_path / 'raw' / 'orders.parquet'}')").fetchall()
    )
    expected = {f"A{i}": by_mark[decimal_comma] for i, (_, *by_mark) in enumerate(AMOUNTS)}
    assert amounts == expected


def test_keeps_an_existing_crm_export(csv_file, tmp_path):
    _import(csv_file, tmp_path / "raw")
    crm = tmp_path / "raw" / "crm_customers.parquet"
    before = crm.read_bytes()
    assert _import(csv_file, tmp_path / "raw") == {"orders": 7}
    assert crm.read_bytes() == before


def test_names_a_missing_column(csv_file, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(csv_file), "--customer-id", "Customer", "--date", "InvoiceDate", "--amount", "Revenue"])
    assert "['Customer'] not in" in capsys.readouterr().err


def test_orders_alone_build_the_orders_marts(dbt, csv_file, tmp_path):
    raw = tmp_path / "raw"
    _import(csv_file, raw)
    warehouse = tmp_path / "warehouse.duckdb"
    # Three customers are too few to fit CLV or churn models (tested below); everything else builds.
    dbt(["build", "--exclude", "test_type:unit", "tag:model_fit+"], raw, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarantined = con.execute("select rejection_reason from quarantined_rows order by 1").fetchall()
        rfm = con.execute(
            "select customer_id, frequency, monetary, recency_days from customer_rfm order by 1"
        ).fetchall()
        (engaged,) = con.execute("select max(engagement_score) from customer_engagement").fetchone()
    # The unparseable A6 is rejected, so its well-formed twin is no duplicate; as of 2010-12-04.
    assert quarantined == [("invalid_order_ts",), ("negative_amount",)]
    assert [(c, f, float(m), r) for c, f, m, r in rfm] == [
        ("12583", 2, 14.5, 0),
        ("13047", 1, 22.0, 3),
        ("17850", 2, 1035.8, 1),
    ]
    assert engaged == 0


def test_models_on_too_little_history_stop_with_a_clear_error(dbt, csv_file, tmp_path):
    raw = tmp_path / "raw"
    _import(csv_file, raw)
    selection = ["+int_clv_holdout_predictions", "+int_churn_model_metrics"]
    result = dbt(["run", "--select", *selection], raw, tmp_path / "warehouse.duckdb", check=False)
    assert result.returncode != 0
    assert "need at least 20 repeat customers to fit spend, got 1" in result.stdout
    assert "need at least 3 labelled cutoffs (train, calibrate, test), got 0" in result.stdout
