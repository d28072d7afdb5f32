"""Items that arrive one at a time: staging's checks, and the live log's durability and idempotence."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import PROJECT_DIR

from customer_scoring.generate import RAW_SCHEMAS
from customer_scoring.ingest import ID_COLUMNS, LIVE_SCHEMAS, Intake, LandingLog, log_path, rejections, start_logs

# Values staging must judge: each one passes or fails a check of its base model.
ORDER_CASES = [
    {"order_id": " ", "customer_id": "c"},
    {"order_id": "o", "customer_id": ""},
    *(
        {"order_ts": ts}
        for ts in ["2025-01-01", "2025-01-01T10:00:00", "2025-02-30 10:00:00", "", None, "yesterday", "2999-01-01"]
    ),
    *(
        {"amount": amount}
        for amount in ["12", " 12.50 ", "-1", "-0.5", "1e5", "nan", "12,50", "$12", "", None, "12345678901234567890"]
    ),
    *({"status": status} for status in ["COMPLETED", " refunded ", "pending", None]),
]
EVENT_CASES = [
    {"event_id": ""},
    {"customer_id": None},
    *({"event_ts": ts} for ts in ["2025-06-01 08:00:00", "2025-06-01 25:00:00", None, "2999-12-31 00:00:00"]),
    *({"duration_seconds": seconds} for seconds in [0, -1, None]),
    *({"event_type": event_type} for event_type in ["feature_click", "Page_View", "", None]),
]
VALID = {
    "orders": {"customer_id": "c", "order_ts": "2025-03-01 10:00:00", "amount": "9.99", "currency": "USD"}
    | {"status": "completed"},
    "web_events": {"customer_id": "c", "event_ts": "2025-03-01 10:00:00", "event_type": "page_view"}
    | {"event_target": "/", "duration_seconds": 30},
}


def items(source: str, cases: list[dict]) -> list[dict]:
    id_column = ID_COLUMNS[source]
    return [VALID[source] | {id_column: f"item-{index}"} | case for index, case in enumerate(cases)]


def order(order_id: str) -> dict:
    return VALID["orders"] | {"order_id": order_id}


def stored_ids(raw_dir, source="orders") -> list[str]:
    lines = log_path(raw_dir, source).read_text().splitlines()
    return [json.loads(line)[ID_COLUMNS[source]] for line in lines]


def test_items_get_the_reasons_staging_gives_the_same_rows(dbt, tmp_path):
    # The rows go straight into the live logs (as if stored), so that staging judges every one of them.
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, schema in RAW_SCHEMAS.items():
        pq.write_table(schema.empty_table(), raw / f"{name}.parquet")
    cases = {"orders": items("orders", ORDER_CASES), "web_events": items("web_events", EVENT_CASES)}
    start_logs(raw)
    for source, rows in cases.items():
        log_path(raw, source).write_text("".join(json.dumps(row) + "\n" for row in rows))
    warehouse = tmp_path / "warehouse.duckdb"
    dbt(["run", "--select", "base_shop__orders", "base_web__events"], raw, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for source, model, id_column in [
            ("orders", "base_shop__orders", "order_id"),
            ("web_events", "base_web__events", "event_id"),
        ]:
            query = f"select coalesce(raw_{id_column}, {id_column}), rejection_reason from {model}"
            staged = dict(con.execute(query).fetchall())
            expected = [staged[row[ID_COLUMNS[source]]] for row in cases[source]]
            assert rejections(source, cases[source], duckdb.connect()) == expected
            # Every check of the base model is met at least once, and some rows pass.
            assert None in expected and len(set(expected)) >= 6


def test_the_log_schemas_are_the_live_sources_json_columns():
    sources = yaml.safe_load((PROJECT_DIR / "models/staging/live/_live__sources.yml").read_text())["sources"]
    types = {"string": "VARCHAR", "int64": "BIGINT"}
    for table in sources[0]["tables"]:
        declared = yaml.safe_load(table["config"]["meta"]["json_columns"])
        schema = LIVE_SCHEMAS[table["identifier"]]
        assert declared == {field.name: types[str(field.type)] for field in schema}
        assert [column["name"] for column in table["columns"]] == schema.names


def test_an_id_is_stored_once_whoever_sends_it_and_however_often(tmp_path):
    # Two logs on one file stand for two writer processes (each open file takes the lock for itself).
    first, second = LandingLog(tmp_path, "orders"), LandingLog(tmp_path, "orders")
    sends = [
        (log, [order(f"o{(start + k) % 300}") for k in range(25)])
        for start in range(0, 600, 7)
        for log in (first, second)
    ]
    with ThreadPoolExecutor(8) as pool:
        stored = list(pool.map(lambda send: send[0].append(send[1]), sends))
    ids = stored_ids(tmp_path)
    assert sorted(ids) == sorted(f"o{k}" for k in range(300))
    assert sum(map(sum, stored)) == 300
    # Ids are compared as staging compares them, trimmed of spaces.
    assert first.append([order(" o1 "), order("new"), order("new")]) == [False, True, False]


def test_a_line_cut_by_a_crash_is_removed_and_a_whole_one_kept(tmp_path):
    log = LandingLog(tmp_path, "orders")
    log.append([order("a")])
    path = log_path(tmp_path, "orders")
    with path.open("a") as file:
        file.write(json.dumps(order("b")))  # written whole, but not its newline
    assert LandingLog(tmp_path, "orders").append([order("b"), order("c")]) == [False, True]
    with path.open("a") as file:
        file.write('{"order_id": "d", "customer_id": "c", "or')
    assert LandingLog(tmp_path, "orders").append([order("e")]) == [True]
    assert stored_ids(tmp_path) == ["a", "b", "c", "e"]
    assert path.read_text().endswith("\n")


def test_a_torn_last_line_reads_as_a_row_without_id(tmp_path):
    # What the live source relies on to leave out a line being appended (the base models keep rows with an id).
    LandingLog(tmp_path, "orders").append([order("a")])
    with log_path(tmp_path, "orders").open("a") as file:
        file.write('{"order_id": "b", "amo')
    sources = yaml.safe_load((PROJECT_DIR / "models/staging/live/_live__sources.yml").read_text())["sources"][0]
    location = sources["config"]["meta"]["external_location"].replace(
        "{{ env_var('CUSTOMER_SCORING_RAW_DIR', 'data/raw') }}", str(tmp_path)
    )
    json_columns = sources["tables"][0]["config"]["meta"]["json_columns"]
    rows = duckdb.sql(f"select order_id from {location.format(identifier='orders', json_columns=json_columns)}")
    assert rows.fetchall() == [("a",), (None,)]


def test_intake_stores_what_passes_and_returns_the_reason_of_what_fails(tmp_path):
    intake = Intake(tmp_path)
    sent = [order("a"), order("b") | {"amount": "-3"}, order("a"), order("c") | {"amount": 12.5}, order(" ")]
    outcomes = intake.accept("orders", sent)
    assert [(outcome.status, outcome.reason) for outcome in outcomes] == [
        ("stored", None),
        ("rejected", "negative_amount"),
        ("already_stored", None),
        ("stored", None),
        ("rejected", "missing_order_id"),
    ]
    assert stored_ids(tmp_path) == ["a", "c"]
    # A JSON number is stored as the plain decimal text staging parses.
    assert json.loads(log_path(tmp_path, "orders").read_text().splitlines()[1])["amount"] == "12.5"
    assert [outcome.status for outcome in Intake(tmp_path).accept("orders", [order("c")])] == ["already_stored"]


@pytest.mark.parametrize(("number", "text"), [(12.5, "12.5"), (1e-05, "0.00001"), (7, "7"), (1e30, None)])
def test_a_numeric_amount_is_written_out_in_plain_decimals(number, text, tmp_path):
    outcome = Intake(tmp_path).accept("orders", [order("a") | {"amount": number}])[0]
    if text is None:
        assert outcome.reason == "invalid_amount"
    else:
        assert json.loads(log_path(tmp_path, "orders").read_text())["amount"] == text
