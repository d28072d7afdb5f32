"""A user's own transactions CSV maps into the orders source and builds the orders-based marts."""

from __future__ import annotations

import csv

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from customer_scoring.cli import main
from customer_scoring.generate import RAW_SCHEMAS, GeneratorConfig, generate
from customer_scoring.import_orders import import_orders

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


def test_names_a_missing_column(csv_file, tmp_path, capsys):
    with pytest.raises(SystemExit):
        columns = ["--customer-id", "Customer", "--date", "InvoiceDate", "--amount", "Revenue"]
        main(["import", str(csv_file), *columns, "--out", str(tmp_path / "raw")])
    assert "['Customer'] not in" in capsys.readouterr().err


HEADER = CSV.splitlines()[0]
ARGS = ["--customer-id", "CustomerID", "--date", "InvoiceDate", "--amount", "Revenue", "--order-id", "InvoiceNo"]
US_DATES = ["--date-format", "%m/%d/%Y %H:%M"]
# A row with one field too many, past the rows DuckDB samples to detect the CSV's shape.
RAGGED = "\n".join([HEADER, *["A1,17850,12/01/2010 08:26,15.30"] * 30_000, "A2,17850,12/01/2010 08:26,1,2"])


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        pytest.param(b"", US_DATES, "transactions.csv is empty", id="empty"),
        pytest.param(HEADER.encode() + b"\n", US_DATES, "transactions.csv has a header but no rows", id="header-only"),
        pytest.param(
            CSV.replace("15.30", '"15,30 \u20ac"').encode("cp1252"),
            US_DATES,
            "transactions.csv is not UTF-8 text: byte 0x80 on line 2 (byte 75 of the file); save it as UTF-8",
            id="not-utf8",
        ),
        pytest.param(
            CSV.encode(),
            ["--date-format", "%d.%m.%Y"],
            "no 'InvoiceDate' value parses with --date-format '%d.%m.%Y'; the first is '12/01/2010 08:26'",
            id="date-format-matches-no-row",
        ),
        pytest.param(
            CSV.encode(),
            [],
            "no 'InvoiceDate' value parses as ISO 8601 (give --date-format); the first is '12/01/2010 08:26'",
            id="iso-matches-no-row",
        ),
        pytest.param(
            CSV.encode(),
            ["--date-format", "%d.%Q"],
            "--date-format '%d.%Q': Failed to parse format specifier %d.%Q: Unrecognized format for"
            " strftime/strptime: %Q",
            id="not-a-date-format",
        ),
        pytest.param(
            RAGGED.encode(),
            US_DATES,
            "transactions.csv as CSV: Invalid Input Error: CSV Error on Line: 30002"
            " Expected Number of Columns: 4 Found: 5",
            id="ragged-row",
        ),
    ],
)
def test_refuses_unusable_input_in_one_line_and_writes_nothing(content, args, message, tmp_path, capsys):
    path = tmp_path / "transactions.csv"
    path.write_bytes(content)
    with pytest.raises(SystemExit) as exit_info:
        main(["import", str(path), *ARGS, *args, "--out", str(tmp_path / "raw")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith(f"{message}\n")
    assert not (tmp_path / "raw").exists()


def test_names_the_first_byte_that_is_not_utf8_past_the_first_mebibyte(tmp_path, capsys):
    euro = "\u20ac".encode()
    row = b'A1,17850,2010-12-01 08:26:00,"12 ' + euro + b'"\n'
    # The check reads 1 MiB blocks; the padded first order id puts a (valid) euro sign across the first boundary.
    content = HEADER.encode() + b"\n" + row.replace(b"A1", b"A100000") + row * 40_000
    assert content[(1 << 20) - 1 : (1 << 20) + 2] == euro
    bad_line = content.count(b"\n") + 1
    content += b"A2,17850,2010-12-01 08:26:00,caf\xe9\n" + row
    path = tmp_path / "transactions.csv"
    path.write_bytes(content)
    with pytest.raises(SystemExit):
        main(["import", str(path), *ARGS, "--out", str(tmp_path / "raw")])
    assert f"byte 0xe9 on line {bad_line} (byte {content.index(b'caf') + 4} of the file)" in capsys.readouterr().err


@pytest.fixture
def generated(tmp_path):
    """An --out directory holding an earlier generated dataset, as `make build` leaves data/raw."""
    out = tmp_path / "raw"
    generate(GeneratorConfig(customers=20, seed=1), out, tmp_path / "truth")
    return out


def _import_into(csv_file, out, *flags):
    main(["import", str(csv_file), *ARGS, *US_DATES, "--out", str(out), *flags])


def _rows(out):
    return {path.stem: pq.read_metadata(path).num_rows for path in out.glob("*.parquet")}


@pytest.mark.parametrize("name", list(RAW_SCHEMAS))
def test_refuses_raw_files_already_in_out(name, csv_file, generated, capsys):
    for other in set(RAW_SCHEMAS) - {name}:
        (generated / f"{other}.parquet").unlink()
    before = (generated / f"{name}.parquet").read_bytes()
    with pytest.raises(SystemExit) as exit_info:
        _import_into(csv_file, generated)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{generated} already holds {name}.parquet: pass --replace" in err
    assert [path.name for path in generated.glob("*.parquet")] == [f"{name}.parquet"]
    assert (generated / f"{name}.parquet").read_bytes() == before


def test_replace_writes_every_raw_file_anew(csv_file, generated):
    # A day's export beside the file is the source's too: it would be read with the import.
    (generated / "orders.parquet").rename(generated / "orders_2025-12-31.parquet")
    with pytest.raises(SystemExit):
        _import_into(csv_file, generated)
    _import_into(csv_file, generated, "--replace")
    assert _rows(generated) == {"orders": 7, "crm_customers": 3, "web_events": 0}
    assert [path.stat().st_size for path in sorted((generated / "live").iterdir())] == [0, 0]


def test_a_live_log_with_rows_is_a_raw_file_to_replace(csv_file, generated, capsys):
    # Orders the API stored belong to the dataset they were sent for.
    log = generated / "live" / "orders.jsonl"
    log.write_text('{"order_id": "live-1"}\n')
    for name in RAW_SCHEMAS:
        (generated / f"{name}.parquet").unlink()
    with pytest.raises(SystemExit):
        _import_into(csv_file, generated)
    assert "already holds live/orders.jsonl: pass --replace" in capsys.readouterr().err
    _import_into(csv_file, generated, "--replace")
    assert log.stat().st_size == 0


@pytest.mark.parametrize("beside_old_files", [False, True], ids=["alone", "beside-old-files"])
@pytest.mark.parametrize(("flag", "kept"), [("--keep-crm", "crm_customers"), ("--keep-web", "web_events")])
def test_keeps_an_export_of_your_own(flag, kept, beside_old_files, csv_file, generated):
    # Your own export alone in --out needs only the keep option; beside older raw files, --replace too.
    if not beside_old_files:
        for other in set(RAW_SCHEMAS) - {kept}:
            (generated / f"{other}.parquet").unlink()
    own = (generated / f"{kept}.parquet").read_bytes()
    _import_into(csv_file, generated, flag, *(["--replace"] if beside_old_files else []))
    assert (generated / f"{kept}.parquet").read_bytes() == own
    imported = {"orders": 7, "crm_customers": 3, "web_events": 0}
    del imported[kept]
    assert {name: n for name, n in _rows(generated).items() if name != kept} == imported


@pytest.mark.parametrize(("flag", "name"), [("--keep-crm", "crm_customers"), ("--keep-web", "web_events")])
def test_keeping_needs_the_file(flag, name, csv_file, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _import_into(csv_file, tmp_path / "raw", flag)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith(f"{flag}: there is no {tmp_path / 'raw' / name}.parquet to keep\n")
    assert not (tmp_path / "raw").exists()


def test_orders_alone_build_every_mart_and_say_which_models_were_skipped(dbt, csv_file, tmp_path):
    raw = tmp_path / "raw"
    _import(csv_file, raw)
    warehouse = tmp_path / "warehouse.duckdb"
    # Three customers are too few to fit any model: the build still succeeds, with the reasons on record.
    dbt(["build", "--exclude", "test_type:unit"], raw, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarantined = con.execute("select rejection_reason from quarantined_rows order by 1").fetchall()
        rfm = con.execute(
            "select customer_id, frequency, monetary, recency_days from customer_rfm order by 1"
        ).fetchall()
        (engaged,) = con.execute("select max(engagement_score) from customer_engagement").fetchone()
        status = con.execute("select model_family, model_name, status, reason, requirement from model_status").df()
        (scored,) = con.execute("select count(*) from customer_scores where clv_12m is not null").fetchone()
    # The unparseable A6 is rejected, so its well-formed twin is no duplicate; as of 2010-12-04.
    assert quarantined == [("invalid_order_ts",), ("negative_amount",)]
    assert [(c, f, float(m), r) for c, f, m, r in rfm] == [
        ("12583", 2, 14.5, 0),
        ("13047", 1, 22.0, 3),
        ("17850", 2, 1035.8, 1),
    ]
    assert engaged == 0
    assert (status["status"] == "skipped").all() and status["requirement"].notna().all()
    reasons = status.groupby("model_family")["reason"].first()
    assert "need at least 20 customers to fit, got 3" in reasons["clv"]
    assert "0 cutoff(s) with a known 90-day outcome" in reasons["churn"]
    assert "3 buyers are too few" in reasons["segments"]
    assert scored == 0
