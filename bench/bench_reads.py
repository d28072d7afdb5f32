"""How fast `GET /customers/{id}` answers on a publication, against `GET /health` (the floor of a request).

    .venv/bin/python bench/bench_reads.py --published data/warehouse.duckdb --reads 2000

Starts the API as bench_live.py does (no live rows: its scorer stays idle), then reads --reads random
customers one after another from one client, each followed by a `GET /health`, and prints both latencies
(p50 / p99 / max).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import httpx
from bench_live import READ_KEY, percentiles, start_api

from customer_scoring.ingest import start_logs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--published", type=Path, default=Path("data/warehouse.duckdb"))
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()

    with duckdb.connect(str(args.published), read_only=True) as con:
        (customers,) = con.execute("select count(*) from customer_scores").fetchone()
        ids = con.execute(
            "select customer_id from customer_scores order by hash(customer_id) limit ?", [args.reads]
        ).fetchall()
    with tempfile.TemporaryDirectory() as scratch:
        start_logs(Path(scratch))
        server, base = start_api(args.published, Path(scratch))
        reads: list[float] = []
        health: list[float] = []
        try:
            with httpx.Client(base_url=base, headers={"X-API-Key": READ_KEY}, timeout=30) as client:
                for (customer,) in ids:
                    start = time.perf_counter()
                    assert client.get(f"/customers/{customer}").status_code == 200
                    reads.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    client.get("/health")
                    health.append(time.perf_counter() - start)
        finally:
            server.terminate()
            server.wait()
    print(f"publication: {args.published} ({customers:,} customers), {len(reads)} sequential reads")
    print(f"GET /customers/{{id}}: {percentiles(reads)}")
    print(f"GET /health (floor, same run): {percentiles(health)}")


if __name__ == "__main__":
    main()
