"""How soon a posted order shows in the customer's live scores, while orders arrive at a sustained rate.

    .venv/bin/python bench/bench_live.py --published data/warehouse.duckdb --rate 200 --seconds 30

Starts the API (uvicorn, one process and its live-scoring process, as `make api` does) on a free loopback
port over the publication, with live logs of its own in a scratch directory, then posts orders at --rate
orders a second for --seconds (--batch orders per request), each to a different buyer of the publication,
dated the day after
its as-of date. A watcher follows one order in --sample: from the moment its POST returned, it reads
`GET /customers/{id}` every --poll seconds until the live scores count the order. Prints the visibility
latency (p50 / p99 / max), the rate achieved, and the latency of the reads the watcher made beside
`GET /health`'s, the floor of a request, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import httpx
import numpy as np

from customer_scoring.ingest import start_logs

READ_KEY, INGEST_KEY = "bench-read", "bench-ingest"


def start_api(published: Path, raw_dir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "CUSTOMER_SCORING_PUBLISHED": str(published.resolve()),
        "CUSTOMER_SCORING_API_KEYS": READ_KEY,
        "CUSTOMER_SCORING_INGEST_KEYS": INGEST_KEY,
        "CUSTOMER_SCORING_RAW_DIR": str(raw_dir),
    }
    uvicorn = Path(sys.executable).with_name("uvicorn")
    command = [str(uvicorn), "--factory", "customer_scoring.api:create_app_from_env", "--port", str(port)]
    server = subprocess.Popen([*command, "--host", "127.0.0.1", "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the API did not start")


def percentiles(seconds: list[float]) -> str:
    p50, p99 = np.percentile(seconds, [50, 99]) * 1000
    return f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(seconds) * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--published", type=Path, default=Path("data/warehouse.duckdb"))
    parser.add_argument("--rate", type=float, default=200.0, help="orders posted per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--senders", type=int, default=4, help="client threads sharing the rate")
    parser.add_argument("--batch", type=int, default=1, help="orders per request")
    parser.add_argument("--sample", type=int, default=10, help="follow one order in this many")
    parser.add_argument("--poll", type=float, default=0.01, help="seconds between the watcher's reads")
    args = parser.parse_args()

    total = int(args.rate * args.seconds)
    with duckdb.connect(str(args.published), read_only=True) as con:
        (as_of,) = con.execute("select max(as_of_date) from customer_rfm").fetchone()
        buyers = con.execute(
            "select customer_id, frequency from customer_rfm order by hash(customer_id) limit ?", [total]
        ).fetchall()
    if len(buyers) < total:
        raise SystemExit(f"the publication has {len(buyers)} buyers: fewer than --rate x --seconds = {total}")
    day = as_of + timedelta(days=1)

    with tempfile.TemporaryDirectory() as scratch:
        raw_dir = Path(scratch)
        start_logs(raw_dir)
        server, base = start_api(args.published, raw_dir)
        latencies: list[float] = []
        reads: list[float] = []
        health: list[float] = []
        watched: list[tuple[str, int, float]] = []
        watched_lock = threading.Condition()
        sending = threading.Event()
        sending.set()

        def sender(index: int) -> None:
            with httpx.Client(base_url=base, headers={"X-API-Key": INGEST_KEY}, timeout=30) as client:
                # Request r carries orders r * batch .. (r + 1) * batch - 1, sent when the last of them is due.
                for request in range(index, -(-total // args.batch), args.senders):
                    numbers = range(request * args.batch, min((request + 1) * args.batch, total))
                    time.sleep(max(0.0, started + numbers[-1] / args.rate - time.perf_counter()))
                    orders = [
                        {"order_id": f"bench-{k}", "customer_id": buyers[k][0], "order_ts": f"{day} 12:00:00"}
                        | {"amount": 20.0, "currency": "USD", "status": "completed"}
                        for k in numbers
                    ]
                    response = client.post("/orders", json=orders)
                    posted = time.perf_counter()
                    assert response.status_code == 200 and response.json()["stored"] == len(orders), response.text
                    with watched_lock:
                        watched.extend(
                            (buyers[k][0], buyers[k][1] + 1, posted) for k in numbers if k % args.sample == 0
                        )
                        watched_lock.notify()

        def watcher() -> None:
            with httpx.Client(base_url=base, headers={"X-API-Key": READ_KEY}, timeout=30) as client:
                while True:
                    with watched_lock:
                        while not watched and sending.is_set():
                            watched_lock.wait(0.1)
                        if not watched:
                            return
                        customer, frequency, posted = watched.pop(0)
                    while True:
                        start = time.perf_counter()
                        live = client.get(f"/customers/{customer}").json()["live"]
                        reads.append(time.perf_counter() - start)
                        if live is not None and live["frequency"] == frequency:
                            latencies.append(time.perf_counter() - posted)
                            break
                        time.sleep(args.poll)
                    start = time.perf_counter()
                    client.get("/health")
                    health.append(time.perf_counter() - start)

        try:
            started = time.perf_counter()
            senders = [threading.Thread(target=sender, args=(index,)) for index in range(args.senders)]
            watchers = [threading.Thread(target=watcher) for _ in range(2)]
            for thread in senders + watchers:
                thread.start()
            for thread in senders:
                thread.join()
            elapsed = time.perf_counter() - started
            sending.clear()
            for thread in watchers:
                thread.join()
        finally:
            server.terminate()
            server.wait(timeout=30)

    print(f"publication: {args.published} ({len(buyers):,} buyers used), as of {as_of}")
    print(
        f"posted {total:,} orders, {args.batch} per request, in {elapsed:.1f} s: {total / elapsed:.0f} orders/s"
        f" (asked {args.rate:.0f}/s)"
    )
    print(f"visible in live scores ({len(latencies)} followed): {percentiles(latencies)}")
    print(f"GET /customers/{{id}} under load ({len(reads)} reads): {percentiles(reads)}")
    print(f"GET /health (floor, same run): {percentiles(health)}")


if __name__ == "__main__":
    main()
