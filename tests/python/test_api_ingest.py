"""POST /orders and POST /events: ingest keys, staging's reasons, idempotence, and a kill -9 during a burst."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import duckdb
import httpx
import pytest
from conftest import PROJECT_DIR
from test_api import KEY, serve

from customer_scoring.api import MAX_ITEMS, create_app
from customer_scoring.ingest import log_path, start_logs
from customer_scoring.live import LiveSettings

INGEST_KEY = "ingest-key"
ORDER_TS = "2025-12-31 10:00:00"


@pytest.fixture
def raw_dir(dataset, tmp_path) -> Path:
    """The end-to-end dataset's raw files with live logs of their own."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for path in dataset["raw"].glob("*.parquet"):
        (raw / path.name).symlink_to(path)
    start_logs(raw)
    return raw


def ingest_env(raw_dir: Path) -> dict:
    return {"CUSTOMER_SCORING_INGEST_KEYS": INGEST_KEY, "CUSTOMER_SCORING_RAW_DIR": str(raw_dir)}


def customers(published: Path, n: int) -> list[str]:
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(
            "select customer_id from dim_customers where signup_date < '2025-12-01' order by customer_id limit ?", [n]
        ).fetchall()
    return [customer_id for (customer_id,) in rows]


def order(order_id: str, customer_id: str, **fields) -> dict:
    row = {"order_id": order_id, "customer_id": customer_id, "order_ts": ORDER_TS, "amount": 25.0}
    return row | {"currency": "USD", "status": "completed"} | fields


def live_frequencies(client: httpx.Client, customer_ids: list[str]) -> dict[str, int | None]:
    """Each customer's live order count (None without live scores), read with the read key."""
    bodies = {
        customer: client.get(f"/customers/{customer}", headers={"X-API-Key": KEY}).json() for customer in customer_ids
    }
    return {customer: body["live"] and body["live"]["frequency"] for customer, body in bodies.items()}


def logged(raw_dir: Path, source: str, id_column: str) -> list[str]:
    return [json.loads(line)[id_column] for line in log_path(raw_dir, source).read_text().splitlines()]


def test_a_read_key_cannot_write_nor_an_ingest_key_read(published, raw_dir):
    with serve(published, env=ingest_env(raw_dir)) as (client, _):
        (customer,) = customers(published, 1)
        body = [order("o-1", customer)]
        assert client.post("/orders", json=body).status_code == 401
        assert client.post("/orders", json=body, headers={"X-API-Key": INGEST_KEY}).status_code == 200
        assert client.get(f"/customers/{customer}", headers={"X-API-Key": INGEST_KEY}).status_code == 401
        assert client.get(f"/customers/{customer}").status_code == 200
    # Without ingest keys nothing can be posted; one key on both lists is refused at start.
    with serve(published, env={"CUSTOMER_SCORING_RAW_DIR": str(raw_dir)}) as (client, _):
        assert client.post("/orders", json=body, headers={"X-API-Key": ""}).status_code == 401
    with pytest.raises(ValueError, match="must not also be a read key"):
        create_app(published, [KEY], [KEY], raw_dir, LiveSettings.from_project(PROJECT_DIR))


def test_posted_items_are_stored_once_and_rejections_say_why(published, raw_dir):
    first, second = customers(published, 2)
    with serve(published, env=ingest_env(raw_dir)) as (client, _):
        client.headers["X-API-Key"] = INGEST_KEY
        sent = [
            order("o-1", first),
            order("o-2", first, amount="12,50"),
            order("o-1", first),
            order(" ", second),
            order(3, second, amount=7),
        ]
        response = client.post("/orders", json=sent)
        assert response.status_code == 200
        assert response.json() == {
            "stored": 2,
            "already_stored": 1,
            "rejected": [
                {"index": 1, "id": "o-2", "reason": "invalid_amount"},
                {"index": 3, "id": " ", "reason": "missing_order_id"},
            ],
        }
        assert client.post("/orders", json=sent[:1]).json()["already_stored"] == 1
        events = [
            {"event_id": "e-1", "customer_id": first, "event_ts": ORDER_TS, "event_type": "page_view"},
            {"event_id": "e-2", "event_ts": ORDER_TS, "event_type": "scroll", "duration_seconds": 3},
        ]
        body = client.post("/events", json=events).json()
        assert body["stored"] == 1 and body["rejected"] == [{"index": 1, "id": "e-2", "reason": "unknown_event_type"}]
        # The shape is the source contract's: an unknown field or a wrong type refuses the whole request.
        assert client.post("/orders", json=[order("o-9", first, discount=1)]).status_code == 422
        assert client.post("/events", json=[{"event_id": "e-9", "duration_seconds": 1.5}]).status_code == 422
        assert client.post("/orders", json=[order(f"o{k}", first) for k in range(MAX_ITEMS + 1)]).status_code == 422
    assert logged(raw_dir, "orders", "order_id") == ["o-1", "3"]
    assert logged(raw_dir, "web_events", "event_id") == ["e-1"]


def test_after_a_kill_during_a_burst_every_acknowledged_order_is_stored_once(published, raw_dir, dbt, tmp_path):
    # Senders post until the API is killed, then send everything again (at-least-once, as a retrying client
    # does): each order is stored once, the live scores count each once, and the batch build accounts for every
    # stored row.
    buyers = customers(published, 50)
    sent: list[dict] = []
    acknowledged: list[str] = []
    stop = threading.Event()

    def sender(client: httpx.Client, name: str) -> None:
        for batch in range(10_000):
            if stop.is_set():
                return
            orders = [order(f"{name}-{batch}-{k}", buyers[(batch + k) % len(buyers)]) for k in range(10)]
            sent.extend(orders)
            try:
                response = client.post("/orders", json=orders)
            except httpx.TransportError:
                return
            if response.status_code == 200:
                assert response.json()["stored"] == 10
                acknowledged.extend(row["order_id"] for row in orders)

    with serve(published, env=ingest_env(raw_dir)) as (client, server):
        client.headers["X-API-Key"] = INGEST_KEY
        threads = [threading.Thread(target=sender, args=(client, f"s{k}")) for k in range(4)]
        for thread in threads:
            thread.start()
        while len(acknowledged) < 500:
            time.sleep(0.01)
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        stop.set()
        for thread in threads:
            thread.join()
        port = httpx.URL(str(client.base_url)).port
    sent_ids = [row["order_id"] for row in sent]
    assert set(acknowledged) < set(sent_ids)
    with serve(published, env=ingest_env(raw_dir), port=port) as (client, _):
        client.headers["X-API-Key"] = INGEST_KEY
        for start in range(0, len(sent), 1000):
            body = client.post("/orders", json=sent[start : start + 1000]).json()
            assert body["rejected"] == []
        # Each buyer's live frequency is its published one plus its orders sent, each counted once.
        with duckdb.connect(str(published), read_only=True) as con:
            frequency = dict(con.execute("select customer_id, frequency from customer_rfm").fetchall())
        ordered = Counter(row["customer_id"] for row in sent)
        expected = {buyer: frequency.get(buyer, 0) + orders for buyer, orders in ordered.items()}
        deadline = time.monotonic() + 30
        while (live := live_frequencies(client, list(ordered))) != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        assert live == expected
    stored = logged(raw_dir, "orders", "order_id")
    assert sorted(stored) == sorted(sent_ids)
    # The batch reads each stored order once and reconciles raw = clean + quarantined (the source tests).
    warehouse = tmp_path / "warehouse.duckdb"
    dbt(["build", "--select", "+quarantined_rows", "--indirect-selection", "cautious"], raw_dir, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        clean = con.execute(
            "select count(*), count(distinct order_id) from int_orders_validated "
            "where rejection_reason is null and order_id in (select unnest(?))",
            [sent_ids],
        ).fetchone()
    assert clean == (len(sent), len(sent))
