"""Trigger campaigns: the outbox queues who matches each audience, once per cool-down, with a deterministic control
group; the export sends the rest as files and signed webhook batches that a failing receiver still gets once."""

from __future__ import annotations

import hmac
import json
import shutil
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pandas as pd
import pytest

from customer_scoring.cli import main
from customer_scoring.export import DeliveryError, deliver, sendable, signature, write_files

SECRET = "test-secret"


def test_the_outbox_queues_each_audience_within_its_budget(con, dbt_vars):
    outbox = con.execute("select * from campaign_outbox").df()
    assert (outbox["as_of_date"] == outbox["as_of_date"].max()).all()  # one run
    for campaign in dbt_vars["campaigns"]:
        rows = outbox[outbox["campaign_id"] == campaign["campaign_id"]]
        matching = con.execute(
            f"select customer_id, clv_12m from customer_scores where {campaign['audience']} "
            "order by clv_12m desc nulls last, customer_id"
        ).df()
        cap = int(campaign["budget"] / campaign["cost_per_contact"])
        assert 0 < len(rows) == min(cap, len(matching)), campaign["campaign_id"]
        # The highest-CLV matches, in order.
        assert list(rows.sort_values("entrant_rank")["customer_id"]) == list(matching["customer_id"][:cap])
    # The control group is the stable hash's share, for every campaign alike.
    (wrong,) = con.execute(
        f"""select count(*) from campaign_outbox
        where is_control != (
            cast('0x' || substr(md5(campaign_id || '|' || customer_id), 1, 8) as bigint) / 2 ** 32
            < {dbt_vars["campaign_control_share"]})"""
    ).fetchone()
    assert wrong == 0 and outbox["is_control"].any() and not outbox["is_control"].all()


def test_a_customer_is_queued_again_only_after_the_cool_down(warehouse, dataset, dbt, dbt_vars, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, path)
    campaign = dbt_vars["campaigns"][0]
    days = campaign["cooldown_days"]
    with duckdb.connect(str(path)) as con:
        customers = [
            row[0]
            for row in con.execute(
                "select customer_id from campaign_outbox where campaign_id = ? order by entrant_rank limit 2",
                [campaign["campaign_id"]],
            ).fetchall()
        ]
        # As if the first had been queued just past the cool-down ago, the second just within it.
        con.execute(
            f"""update campaign_outbox set as_of_date = as_of_date - to_days(
                case when customer_id = ? then {days} else {days - 1} end)
            where campaign_id = ? and customer_id in (?, ?)""",
            [customers[0], campaign["campaign_id"], *customers],
        )
        con.execute(
            "update campaign_outbox set idempotency_key = md5(campaign_id || '|' || customer_id || '|' || as_of_date)"
        )
        (before,) = con.execute("select count(*) from campaign_outbox").fetchone()
    dbt(["build", "--select", "campaign_outbox"], dataset["raw"], path)
    with duckdb.connect(str(path)) as con:
        queued = con.execute(
            "select customer_id, count(*) from campaign_outbox where campaign_id = ? and customer_id in (?, ?) "
            "group by 1 order by 1",
            [campaign["campaign_id"], *customers],
        ).fetchall()
        (after,) = con.execute("select count(*) from campaign_outbox").fetchone()
    assert dict(queued) == {customers[0]: 2, customers[1]: 1}
    # Nobody else is queued twice: the rerun on the same as-of date adds only the one past its cool-down.
    assert after == before + 1


class Receiver:
    """A webhook receiver on loopback that checks signatures and applies each Idempotency-Key once. `failures`
    scripts its first answers: an HTTP status, or 'drop' (applies the batch, then closes without answering)."""

    def __init__(self, failures: list):
        self.failures = list(failures)
        self.applied: dict[str, list[dict]] = {}
        self.requests = Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = signature(SECRET, self.headers["X-Customer-Scoring-Timestamp"], body)
                assert hmac.compare_digest(expected, self.headers["X-Customer-Scoring-Signature"])
                key = self.headers["Idempotency-Key"]
                receiver.requests[key] += 1
                failure = receiver.failures.pop(0) if receiver.failures else None
                if isinstance(failure, int):
                    self.send_response(failure)
                    self.end_headers()
                    return
                receiver.applied.setdefault(key, json.loads(body)["entries"])
                if failure == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_webhook_delivery_survives_a_failing_receiver_without_loss_or_duplicates(published, tmp_path):
    entries = sendable(published)
    treated = set(zip(entries["campaign_id"], entries["customer_id"], strict=True))
    ledger = tmp_path / "deliveries.jsonl"
    options = {"max_attempts": 3, "backoff": 0.01, "timeout": 5, "batch_size": 25}
    # A 500, then the batch applied but its answer lost: retried under the same key, applied once.
    with Receiver([500, "drop"]) as receiver:
        sent = deliver(entries, receiver.url, SECRET, ledger, **dict(options))
        assert sent == len(receiver.applied) > 2
        applied = [
            (entry["campaign_id"], entry["customer_id"]) for batch in receiver.applied.values() for entry in batch
        ]
        assert len(applied) == len(set(applied)) and set(applied) == treated
        assert sorted(receiver.requests.values())[-2:] == [1, 3]  # the first batch took three attempts
        # A second export sends nothing: the ledger holds every batch.
        assert deliver(entries, receiver.url, SECRET, ledger, **dict(options)) == 0
    # A receiver that stays down: the export stops with what is left, and the next one sends it.
    ledger.unlink()
    with Receiver([500] * 3) as down, pytest.raises(DeliveryError, match="in 3 attempts"):
        deliver(entries, down.url, SECRET, ledger, **dict(options))
    assert not ledger.exists()


def test_the_export_writes_each_batch_once_and_stops_on_a_refusal_with_one_line(
    published, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "exports"
    entries = sendable(published)
    written = write_files(entries, out)
    assert written and write_files(entries, out) == []  # a batch is exported once
    files = pd.concat([pd.read_csv(path) for path in written if path.suffix == ".csv"])
    with duckdb.connect(str(published), read_only=True) as con:
        outbox = con.execute("select idempotency_key, is_control from campaign_outbox").df()
    # Every entry but the control groups', once.
    assert sorted(files["idempotency_key"]) == sorted(outbox.loc[~outbox["is_control"], "idempotency_key"])
    monkeypatch.setenv("CUSTOMER_SCORING_WEBHOOK_SECRET", SECRET)
    with Receiver([400]) as refusing:
        code = main(["export", "--published", str(published), "--out", str(out), "--webhook-url", refusing.url])
    error = capsys.readouterr().err
    assert code == 1 and error.count("\n") == 1 and "HTTP 400" in error
