"""Orders and web events from Redis Streams, landed as the API lands them (see `customer_scoring.ingest`).

    customer-scoring consume --redis-url redis://127.0.0.1:6379/0 --consumer worker-1

Reads the streams `customer-scoring:orders` and `customer-scoring:events` in a consumer group, each entry
one item whose fields are the source contract's (a missing field is null). An entry is acknowledged
(XACK) only after its item is on disk in the live log or its rejection is recorded, so delivery is
at least once, and the log's one-row-per-id and the rejections' one-field-per-entry make the effect
exactly once: a consumer killed at any point and started again (same --consumer name) first handles
the entries it had been given and not acknowledged. Entries a consumer that never comes back had been
given are claimed after --claim-idle-seconds.

Rejected entries go to a hash per stream, `<stream>:rejected`: entry id -> JSON {reason, item}, where
the reason is staging's, `invalid_item: ...` for an entry that does not fit the contract (an unknown
field, a value of the wrong type), or `entry_trimmed` for an entry trimmed from its stream before a
consumer handled it.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
from pathlib import Path

import redis
from pydantic import ValidationError

from customer_scoring.cli import run_module
from customer_scoring.ingest import Intake
from customer_scoring.items import ITEM_MODELS

# Stream -> live source.
STREAMS = {"customer-scoring:orders": "orders", "customer-scoring:events": "web_events"}
GROUP = "customer-scoring"
# Entries read per stream and call: one fsync of the log covers them all.
BATCH = 500


def rejected_key(stream: str) -> str:
    return f"{stream}:rejected"


class Consumer:
    def __init__(self, client: redis.Redis, intake: Intake, name: str, claim_idle_ms: int = 60_000):
        self.client = client
        self.intake = intake
        self.name = name
        self.claim_idle_ms = claim_idle_ms
        for stream in STREAMS:
            try:
                # From the stream's first entry: entries added before the group existed are delivered too.
                client.xgroup_create(stream, GROUP, id="0", mkstream=True)
            except redis.ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise

    def run(self, block_ms: int = 1000, until_idle: bool = False) -> int:
        """Handle entries until stopped (or, with until_idle, until a read waits block_ms in vain); returns how
        many were handled."""
        # Its own unacknowledged entries first (read from id 0: each read returns those still pending), then
        # new ones (">").
        handled = 0
        while pending := self._read("0", block_ms=None):
            handled += self._handle(pending)
        last_claim = 0.0
        while True:
            if time.monotonic() - last_claim > self.claim_idle_ms / 1000:
                handled += self._claim()
                last_claim = time.monotonic()
            entries = self._read(">", block_ms)
            if not entries and until_idle:
                return handled
            handled += self._handle(entries)

    def _read(self, start: str, block_ms: int | None) -> list:
        entries = self.client.xreadgroup(GROUP, self.name, dict.fromkeys(STREAMS, start), count=BATCH, block=block_ms)
        return [(stream, messages) for stream, messages in entries if messages]

    def _claim(self) -> int:
        """Take over the entries other consumers were given and left unacknowledged longer than claim_idle_ms."""
        handled = 0
        for stream in STREAMS:
            start = "0-0"
            while True:
                start, messages, _ = self.client.xautoclaim(
                    stream, GROUP, self.name, self.claim_idle_ms, start_id=start, count=BATCH
                )
                handled += self._handle([(stream, messages)] if messages else [])
                if start in ("0-0", b"0-0"):
                    break
        return handled

    def _handle(self, entries: list) -> int:
        handled = 0
        for stream, messages in entries:
            stream = stream.decode() if isinstance(stream, bytes) else stream
            source = STREAMS[stream]
            ids, items, rejections = [], [], {}
            for entry_id, fields in messages:
                ids.append(entry_id)
                if fields is None:
                    # A pending entry trimmed from the stream (XTRIM, MAXLEN) before it was handled.
                    rejections[entry_id] = {"reason": "entry_trimmed", "item": None}
                    continue
                fields = {key.decode(): value.decode() for key, value in fields.items()}
                try:
                    items.append((entry_id, ITEM_MODELS[source].model_validate(fields).model_dump()))
                except ValidationError as error:
                    reason = "invalid_item: " + "; ".join(
                        f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()
                    )
                    rejections[entry_id] = {"reason": reason, "item": fields}
            outcomes = self.intake.accept(source, [item for _, item in items])
            for (entry_id, item), outcome in zip(items, outcomes, strict=True):
                if outcome.status == "rejected":
                    rejections[entry_id] = {"reason": outcome.reason, "item": item}
            if rejections:
                self.client.hset(
                    rejected_key(stream), mapping={key: json.dumps(value) for key, value in rejections.items()}
                )
            self.client.xack(stream, GROUP, *ids)
            handled += len(ids)
        return handled


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--redis-url", default=os.environ.get("CUSTOMER_SCORING_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--consumer", default=socket.gethostname(), help="this consumer's name in the group")
    parser.add_argument("--raw-dir", type=Path, default=Path(os.environ.get("CUSTOMER_SCORING_RAW_DIR", "data/raw")))
    parser.add_argument("--claim-idle-seconds", type=float, default=60.0)
    parser.add_argument("--until-idle", action="store_true", help="stop once no new entry arrives within a second")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    client = redis.Redis.from_url(args.redis_url)
    try:
        client.ping()
    except redis.ConnectionError as error:
        parser.exit(2, f"cannot reach Redis at {args.redis_url}: {error}\n")
    consumer = Consumer(client, Intake(args.raw_dir), args.consumer, int(args.claim_idle_seconds * 1000))
    handled = consumer.run(until_idle=args.until_idle)
    print(f"handled {handled} entries")
    return 0


if __name__ == "__main__":
    sys.exit(run_module(sys.modules[__name__]))
