"""Send the trigger campaigns' entrants to the tools that act on them: the rows of `campaign_outbox` that are not
in a control group, as one CSV and one JSON file per campaign and run, and, with --webhook-url, as signed HTTP
POSTs delivered once each.

    customer-scoring export [--published data/warehouse.duckdb] [--out data/exports] [--webhook-url URL]

Files: <out>/<campaign_id>/<as_of_date>_<run_id>.csv and .json, written once (a file that exists is a batch
already exported). Webhook: each batch of at most --batch-size entries is one POST of JSON
{"campaign_id", "as_of_date", "run_id", "entries": [...]} (an entry: EXPORT_COLUMNS), with the headers
Idempotency-Key (a hash of the entries' own keys: the same batch always has the same key),
X-Customer-Scoring-Timestamp and X-Customer-Scoring-Signature: "sha256=" + the hex HMAC-SHA256, keyed by
$CUSTOMER_SCORING_WEBHOOK_SECRET, of "<timestamp>.<body>". A 2xx answer delivers the batch, and
<out>/deliveries.jsonl records its key; a connection error, a timeout, 408, 429 or a 5xx is retried up to
--max-attempts times, waiting --backoff seconds, doubled each time; any other answer stops the export. A
batch not yet recorded (the export stopped, or the answer was lost after the receiver had the batch) is sent
again with its key on the next export: receivers apply a key once, as the export contract says (README).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
import pandas as pd

from customer_scoring.cli import run_module

# What a receiver gets of each entry: the campaign_outbox columns a marketing tool acts on.
EXPORT_COLUMNS = [
    "idempotency_key",
    "campaign_id",
    "customer_id",
    "campaign_action",
    "channel",
    "as_of_date",
    "clv_12m",
    "churn_probability",
    "risk_tier",
    "value_score",
    "forecast_spend_180d",
    "segment_name",
]
RETRIED_STATUSES = {408, 429}
SECRET_VARIABLE = "CUSTOMER_SCORING_WEBHOOK_SECRET"


class DeliveryError(RuntimeError):
    """A batch the receiver refused, or that failed every attempt."""


def sendable(published: Path) -> pd.DataFrame:
    """The outbox entries to send (not in a control group), in a stable order."""
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute(
            f"""select invocation_id as run_id, {", ".join(EXPORT_COLUMNS)} from campaign_outbox where not is_control
            order by campaign_id, as_of_date, run_id, entrant_rank, customer_id"""
        ).df()


def _records(rows: pd.DataFrame) -> list[dict]:
    rows = rows[EXPORT_COLUMNS].assign(as_of_date=rows["as_of_date"].dt.strftime("%Y-%m-%d"))
    return json.loads(rows.to_json(orient="records"))


def write_files(entries: pd.DataFrame, out: Path) -> list[Path]:
    """One CSV and one JSON file per campaign and run that has none yet; returns the files written."""
    written = []
    for (campaign, as_of, run), rows in entries.groupby(["campaign_id", "as_of_date", "run_id"], sort=True):
        stem = out / campaign / f"{as_of:%Y-%m-%d}_{run}"
        if stem.with_suffix(".json").exists():
            continue
        stem.parent.mkdir(parents=True, exist_ok=True)
        records = _records(rows)
        with stem.with_suffix(".csv").open("w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=EXPORT_COLUMNS)
            writer.writeheader()
            writer.writerows(records)
        # The JSON file last: its presence says the batch was exported whole.
        stem.with_suffix(".json").write_text(json.dumps(records, indent=1))
        written += [stem.with_suffix(".csv"), stem.with_suffix(".json")]
    return written


def batches(entries: pd.DataFrame, size: int) -> list[tuple[str, dict]]:
    """(idempotency key, body) of every batch: each campaign and run's entries in chunks of at most `size`."""
    found = []
    for (campaign, as_of, run), rows in entries.groupby(["campaign_id", "as_of_date", "run_id"], sort=True):
        records = _records(rows)
        for start in range(0, len(records), size):
            chunk = records[start : start + size]
            key = hashlib.sha256("\n".join(entry["idempotency_key"] for entry in chunk).encode()).hexdigest()
            body = {"campaign_id": campaign, "as_of_date": f"{as_of:%Y-%m-%d}", "run_id": run, "entries": chunk}
            found.append((key, body))
    return found


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Customer-Scoring-Signature of a body sent at `timestamp`."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def post(url: str, key: str, body: dict, secret: str, max_attempts: int, backoff: float, timeout: float) -> None:
    """POST one batch until a 2xx, retrying what may pass on a later attempt; DeliveryError when it does not."""
    data = json.dumps(body).encode()
    for attempt in range(1, max_attempts + 1):
        timestamp = str(int(time.time()))
        request = urllib.request.Request(url, data=data, method="POST")
        request.add_header("Content-Type", "application/json")
        request.add_header("Idempotency-Key", key)
        request.add_header("X-Customer-Scoring-Timestamp", timestamp)
        request.add_header("X-Customer-Scoring-Signature", signature(secret, timestamp, data))
        try:
            with urllib.request.urlopen(request, timeout=timeout):
                return
        except urllib.error.HTTPError as error:
            if error.code not in RETRIED_STATUSES and error.code < 500:
                raise DeliveryError(f"{url} refused batch {key[:12]}: HTTP {error.code}") from None
            failure = f"HTTP {error.code}"
        except (urllib.error.URLError, OSError) as error:  # refused, reset, timed out
            failure = str(getattr(error, "reason", error))
        if attempt < max_attempts:
            time.sleep(backoff * 2 ** (attempt - 1))
    raise DeliveryError(f"{url} did not take batch {key[:12]} in {max_attempts} attempts (last: {failure})")


def deliver(entries: pd.DataFrame, url: str, secret: str, ledger: Path, **options) -> int:
    """Send every batch the ledger does not record as delivered, recording each as it is; returns how many were
    sent. `options`: post's max_attempts, backoff, timeout, and batch_size."""
    delivered = set()
    if ledger.exists():
        delivered = {json.loads(line)["idempotency_key"] for line in ledger.read_text().splitlines() if line}
    sent = 0
    for key, body in batches(entries, options.pop("batch_size")):
        if key in delivered:
            continue
        post(url, key, body, secret, **options)
        record = {"idempotency_key": key, "campaign_id": body["campaign_id"], "as_of_date": body["as_of_date"]}
        record |= {"run_id": body["run_id"], "entries": len(body["entries"]), "delivered_at": time.time()}
        with ledger.open("a") as file:
            file.write(json.dumps(record) + "\n")
            file.flush()
            os.fsync(file.fileno())
        sent += 1
    return sent


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default = os.environ.get("CUSTOMER_SCORING_PUBLISHED", "data/warehouse.duckdb")
    parser.add_argument("--published", type=Path, default=Path(default), help="the published warehouse")
    parser.add_argument("--out", type=Path, default=Path("data/exports"), help="where the files and ledger go")
    parser.add_argument("--webhook-url", help="POST the batches here (needs $CUSTOMER_SCORING_WEBHOOK_SECRET)")
    parser.add_argument("--batch-size", type=int, default=500, help="entries per POST")
    parser.add_argument("--max-attempts", type=int, default=5, help="attempts per batch")
    parser.add_argument("--backoff", type=float, default=1.0, help="seconds before the first retry (then doubled)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for an answer")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    secret = os.environ.get(SECRET_VARIABLE)
    if args.webhook_url and not secret:
        parser.error(f"--webhook-url needs ${SECRET_VARIABLE}, the key the receiver checks the signature with")
    if not args.published.exists():
        parser.error(f"{args.published} does not exist: build and publish first (customer-scoring build)")
    entries = sendable(args.published)
    args.out.mkdir(parents=True, exist_ok=True)
    written = write_files(entries, args.out)
    print(f"{len(entries)} entries to send; {len(written)} files written to {args.out}")
    if args.webhook_url:
        options = {"max_attempts": args.max_attempts, "backoff": args.backoff, "timeout": args.timeout}
        try:
            sent = deliver(
                entries, args.webhook_url, secret, args.out / "deliveries.jsonl", batch_size=args.batch_size, **options
            )
        except DeliveryError as error:
            print(f"export: error: {error} (the next export sends what is left)", file=sys.stderr)
            return 1
        print(f"{sent} batches delivered to {args.webhook_url}")
    return 0


if __name__ == "__main__":
    sys.exit(run_module(sys.modules[__name__]))
