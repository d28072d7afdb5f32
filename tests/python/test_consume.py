"""The Redis Streams consumer: entries landed once, rejections recorded once, a kill -9 mid-stream survived."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import redis

from customer_scoring.consume import GROUP, Consumer, rejected_key
from customer_scoring.ingest import Intake, log_path

ORDERS, EVENTS = "customer-scoring:orders", "customer-scoring:events"


@pytest.fixture
def client(redis_url):
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    yield connection
    connection.close()


def order(order_id: str, **fields) -> dict:
    row = {"order_id": order_id, "customer_id": "c", "order_ts": "2025-03-01 10:00:00", "amount": "9.99"}
    return row | {"currency": "USD", "status": "completed"} | fields


def logged(raw_dir, source="orders", id_column="order_id") -> list[str]:
    return [json.loads(line)[id_column] for line in log_path(raw_dir, source).read_text().splitlines()]


def backlog(client: redis.Redis, stream: str) -> tuple[int, int]:
    """The group's entries not yet delivered (lag) and delivered but not acknowledged (pending)."""
    (group,) = client.xinfo_groups(stream)
    return group["lag"], group["pending"]


def test_entries_are_landed_once_and_rejections_recorded_with_their_reason(client, tmp_path):
    sent = [
        order("a"),
        order("a"),
        order("b", amount="-1"),
        order("c", discount="5"),
        {"event_id": "e", "event_ts": "2025-03-01 10:00:00", "event_type": "page_view", "duration_seconds": "7"},
    ]
    ids = [client.xadd(EVENTS if "event_id" in item else ORDERS, item) for item in sent]
    consumer = Consumer(client, Intake(tmp_path), "test")
    assert consumer.run(block_ms=100, until_idle=True) == 5
    assert logged(tmp_path) == ["a"] and logged(tmp_path, "web_events", "event_id") == ["e"]
    rejected = {key: json.loads(value) for key, value in client.hgetall(rejected_key(ORDERS)).items()}
    assert rejected[ids[2]]["reason"] == "negative_amount"
    assert rejected[ids[3]]["reason"].startswith("invalid_item: discount: Extra inputs are not permitted")
    assert set(rejected) == {ids[2], ids[3]}
    assert backlog(client, ORDERS) == (0, 0) and backlog(client, EVENTS) == (0, 0)


def test_a_consumer_gone_for_good_leaves_its_entries_to_the_others(client, tmp_path):
    client.xadd(ORDERS, order("a"))
    Consumer(client, Intake(tmp_path), "gone")._read(">", block_ms=None)  # delivered, never acknowledged
    assert backlog(client, ORDERS) == (0, 1)
    Consumer(client, Intake(tmp_path), "other", claim_idle_ms=0).run(block_ms=100, until_idle=True)
    assert logged(tmp_path) == ["a"] and backlog(client, ORDERS) == (0, 0)


def test_after_a_kill_mid_stream_nothing_acknowledged_is_lost_or_counted_twice(client, redis_url, tmp_path):
    # 20,000 orders, one in ten a repeat of an earlier id (as a sender retrying after a timeout sends it).
    order_ids = [f"o{k}" for k in range(18_000)]
    sent = order_ids + order_ids[::9][:2000]
    pipe = client.pipeline()
    for order_id in sent:
        pipe.xadd(ORDERS, order(order_id))
    pipe.execute()
    command = [sys.executable, "-m", "customer_scoring.consume", "--redis-url", redis_url, "--consumer", "worker"]
    command += ["--raw-dir", str(tmp_path)]
    consumer = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    log = log_path(tmp_path, "orders")
    while not (log.exists() and log.stat().st_size > 200_000):
        assert consumer.poll() is None
        time.sleep(0.005)
    os.kill(consumer.pid, signal.SIGKILL)
    consumer.wait()
    lag, _ = backlog(client, ORDERS)
    assert lag > 0  # killed mid-stream
    # Every entry delivered and acknowledged before the kill is in the log.
    (group,) = client.xinfo_groups(ORDERS)
    pending = {entry["message_id"] for entry in client.xpending_range(ORDERS, GROUP, "-", "+", len(sent))}
    acknowledged = [
        fields[b"order_id"].decode()
        for entry_id, fields in client.xrange(ORDERS, "-", group["last-delivered-id"])
        if entry_id not in pending
    ]
    landed_before_restart = logged(tmp_path)
    assert acknowledged and set(acknowledged) <= set(landed_before_restart)
    subprocess.run([*command, "--until-idle"], check=True, stdout=subprocess.DEVNULL, timeout=300)
    assert backlog(client, ORDERS) == (0, 0)
    assert logged(tmp_path) == landed_before_restart + [
        order_id for order_id in order_ids if order_id not in set(landed_before_restart)
    ]
    assert client.hlen(rejected_key(ORDERS)) == 0


def test_an_unreachable_redis_is_one_line(tmp_path):
    url = "redis://127.0.0.1:1/0"
    result = subprocess.run(
        [sys.executable, "-m", "customer_scoring.consume", "--redis-url", url, "--raw-dir", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"cannot reach Redis at {url}")


def test_a_consumer_joins_the_group_the_first_one_made(client):
    Consumer(client, None, "one")
    Consumer(client, None, "two")
    assert [group["name"] for group in client.xinfo_groups(ORDERS)] == [GROUP.encode()]
