"""Orders and web events that arrive one at a time (the API's POST routes, the Redis Streams consumer),
checked and landed where the next batch build reads them.

Each item is checked with the rules and reason codes of its staging base model (`base_shop__orders`,
`base_web__events`: what the item alone can tell); an item that fails comes back with its reason and
is not stored. Accepted items are appended to a JSON-lines log per source, `<raw dir>/live/<source>.jsonl`,
which the `live` dbt source reads beside the raw files, so batch and live see the same rows. The checks
that need the CRM or the other rows (unknown_customer, order_before_signup, repeats of an id found in a
raw file) stay staging's: a stored item that fails them is quarantined with its reason there.

The log is the store of record: an append returns only after the lines are flushed to disk (fsync), and
it stores an id once however often it is sent, so a sender that retries after a timeout or a crash
(at-least-once delivery) has each item stored exactly once. Every writer process (API workers,
consumers) appends under an exclusive lock on the log and first reads what the others appended.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

# Per source: the log's columns in the raw source contract's order, all text but the duration (the
# `json_columns` of the live source in models/staging/live/_live__sources.yml; a test holds them equal),
# and the item's id column.
LIVE_SCHEMAS = {
    "orders": pa.schema(
        [(name, pa.string()) for name in ("order_id", "customer_id", "order_ts", "amount", "currency", "status")]
    ),
    "web_events": pa.schema(
        [(name, pa.string()) for name in ("event_id", "customer_id", "event_ts", "event_type", "event_target")]
        + [("duration_seconds", pa.int64())]
    ),
}
ID_COLUMNS = {"orders": "order_id", "web_events": "event_id"}

# The base models' checks, in their order, over the items as the log stores them (`items`).
CHECKS = {
    "orders": r"""
        case
            when nullif(trim(order_id), '') is null then 'missing_order_id'
            when nullif(trim(customer_id), '') is null then 'missing_customer_id'
            when try_cast(order_ts as timestamp) is null then 'invalid_order_ts'
            when try_cast(order_ts as timestamp) > now() then 'future_order_ts'
            when amount is null then 'missing_amount'
            when not regexp_full_match(trim(amount), '-?[0-9]+(\.[0-9]+)?')
                or try_cast(trim(amount) as decimal(18, 2)) is null then 'invalid_amount'
            when try_cast(trim(amount) as decimal(18, 2)) < 0 then 'negative_amount'
            when lower(trim(status)) not in ('completed', 'cancelled', 'refunded') or status is null
                then 'invalid_status'
        end""",
    "web_events": """
        case
            when nullif(trim(event_id), '') is null then 'missing_event_id'
            when try_cast(event_ts as timestamp) is null then 'invalid_event_ts'
            when try_cast(event_ts as timestamp) > now() then 'future_event_ts'
            when duration_seconds < 0 then 'negative_duration'
            when event_type not in ('page_view', 'feature_click') or event_type is null then 'unknown_event_type'
        end""",
}


def as_text(value: str | float | None) -> str | None:
    """An amount as the log stores it: text, a number written out in plain decimals (no exponent), so that
    staging parses it as it parses an imported amount."""
    if value is None or isinstance(value, str):
        return value
    return np.format_float_positional(value, trim="-") if isinstance(value, float) else str(value)


def rejections(source: str, items: list[dict], cursor: duckdb.DuckDBPyConnection) -> list[str | None]:
    """Per item (a dict of the source's columns), the first base-model check it fails, None when it passes.
    Runs on `cursor`, kept by the caller: opening a database or a cursor per call costs more than the checks."""
    cursor.register("items", pa.Table.from_pylist(items, schema=LIVE_SCHEMAS[source]))
    # DuckDB keeps a plain scan's rows in their order (preserve_insertion_order, on by default).
    rows = cursor.execute(f"select {CHECKS[source]} from items").fetchall()
    return [reason for (reason,) in rows]


def staged_id(value: str | None) -> str:
    """An id as staging compares it: trimmed of spaces, as DuckDB's trim() trims (a missing one is '')."""
    return (value or "").strip(" ")


def log_path(raw_dir: Path, source: str) -> Path:
    return Path(raw_dir) / "live" / f"{source}.jsonl"


def start_logs(raw_dir: Path, sources: list[str] | None = None, empty: bool = False) -> None:
    """Create the live logs of `sources` (default all) that are missing: the `live` dbt source needs the files,
    empty or not. With `empty`, empty them too: a new raw dataset has no live rows yet."""
    for source in LIVE_SCHEMAS if sources is None else sources:
        path = log_path(raw_dir, source)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w" if empty else "a"):
            pass


class LandingLog:
    """The append-only JSON-lines log of one source's accepted items, shared by every writer process."""

    def __init__(self, raw_dir: Path, source: str):
        self.path = log_path(raw_dir, source)
        self._id_column = ID_COLUMNS[source]
        self._columns = LIVE_SCHEMAS[source].names
        self._ids: set[str] = set()
        self._offset = 0
        # flock excludes other processes only: threads of one process share the open file.
        self._thread_lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        if created:
            # The new file's directory entry must be durable too.
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)

    def append(self, items: list[dict]) -> list[bool]:
        """Store the items whose id the log does not hold yet (the first of repeats within `items`), durably;
        per item, True when stored now, False when its id was stored before."""
        with self._thread_lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                return self._append(items)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _append(self, items: list[dict]) -> list[bool]:
        self._catch_up()
        lines, stored, new_ids = [], [], set()
        for item in items:
            item_id = staged_id(item[self._id_column])
            is_new = item_id not in self._ids and item_id not in new_ids
            stored.append(is_new)
            if is_new:
                new_ids.add(item_id)
                row = {column: item.get(column) for column in self._columns}
                lines.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        data = memoryview("".join(lines).encode())
        written = 0
        while written < len(data):
            written += os.write(self._fd, data[written:])
        if written:
            os.fsync(self._fd)
        # Only now: a write that failed half way is a torn line, cut by the next append.
        self._offset += written
        self._ids |= new_ids
        return stored

    def _catch_up(self) -> None:
        """Read the lines appended since this process last looked (by any writer); complete a last line left
        without its newline by a writer that crashed mid-write. Called under the lock."""
        size = os.fstat(self._fd).st_size
        if size == self._offset:
            return
        data = os.pread(self._fd, size - self._offset, self._offset)
        complete, _, torn = data.rpartition(b"\n")
        if torn:
            # Never acknowledged (the writer died before its fsync returned); a part of an object is cut
            # away, a whole one kept, since a batch build may have read it.
            try:
                json.loads(torn)
                os.write(self._fd, b"\n")
                complete, size = data, size + 1
            except ValueError:
                os.ftruncate(self._fd, size - len(torn))
                size -= len(torn)
            os.fsync(self._fd)
        for line in complete.splitlines():
            if line:
                self._ids.add(staged_id(json.loads(line)[self._id_column]))
        self._offset = size


@dataclass(frozen=True)
class Outcome:
    """What became of one item: `stored`, `already_stored` (its id was stored before) or `rejected` (reason)."""

    status: str
    reason: str | None = None


class Intake:
    """Checks items and lands the accepted ones in the live logs under `raw_dir`."""

    def __init__(self, raw_dir: Path):
        self.logs = {source: LandingLog(raw_dir, source) for source in LIVE_SCHEMAS}
        # One thread a query (an item's checks are a small query) and a cursor per calling thread.
        self._checks = duckdb.connect(config={"threads": 1})
        self._cursors = threading.local()

    def accept(self, source: str, items: list[dict]) -> list[Outcome]:
        """Per item (a dict of raw source fields; a missing field is null), what became of it."""
        columns = LIVE_SCHEMAS[source].names
        rows = [{column: item.get(column) for column in columns} for item in items]
        if source == "orders":
            for row in rows:
                row["amount"] = as_text(row["amount"])
        if not hasattr(self._cursors, "cursor"):
            self._cursors.cursor = self._checks.cursor()
        reasons = rejections(source, rows, self._cursors.cursor) if rows else []
        accepted = [row for row, reason in zip(rows, reasons, strict=True) if reason is None]
        stored = iter(self.logs[source].append(accepted))
        return [
            Outcome("rejected", reason) if reason else Outcome("stored" if next(stored) else "already_stored")
            for reason in reasons
        ]
