"""Time the whole build (dbt build + publish) on N generated customers; print where the time goes.

    .venv/bin/python bench/bench_build.py --customers 1000000 [--daily]

Generates the dataset once into --work (reused by later runs of the same size and seed; generation is
not part of the build), runs `python -m customer_scoring.publish` from scratch and prints:

- the whole run's wall time and peak memory (the largest process's high-water mark, from the kernel:
  dbt runs every SQL and Python model in its own process, so that is the build's peak);
- per layer, the wall-clock span of its models, the sum of their run times and the rows they wrote;
- the slowest models;
- the SQL floor: each of the slowest SQL models' compiled SQL run directly in DuckDB on the same build
  warehouse, in the same run, and dbt's time as a ratio of it.

With --daily, the first build leaves out the raw rows of the last day (orders, web events and the CRM
rows that signed up that day), then the full raw files are written back and the build runs again, as a
daily run with one new day of data does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[1]
SOURCES = {"crm_customers": "signup_date", "orders": "order_ts", "web_events": "event_ts"}


def generate(customers: int, seed: int, raw: Path) -> None:
    if (raw / "orders.parquet").exists():
        return
    subprocess.run(
        [sys.executable, "-m", "customer_scoring.generate", "--customers", str(customers), "--seed", str(seed),
         "--out", str(raw), "--truth", str(raw.with_name(raw.name + "-truth"))],
        check=True,
    )  # fmt: skip


def write_raw(full: Path, raw: Path, before_last_day: bool) -> None:
    """Copy the raw files, leaving out the rows dated on the last order day when `before_last_day`."""
    raw.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        last = con.execute(f"select max(try_cast(substr(order_ts, 1, 10) as date)) from '{full}/orders.parquet'")
        last_day = last.fetchone()[0]
        for name, column in SOURCES.items():
            keep = f"coalesce(try_cast(substr({column}, 1, 10) as date) < '{last_day}', true)"
            query = f"select * from '{full}/{name}.parquet'" + (f" where {keep}" if before_last_day else "")
            con.execute(f"copy ({query}) to '{raw}/{name}.parquet' (format parquet)")


def build(work: Path, raw: Path) -> tuple[float, float]:
    """Run the build and publish; return its wall seconds and the largest process's peak RSS in GB."""
    env = {**os.environ, "CUSTOMER_SCORING_RAW_DIR": str(raw), "DO_NOT_TRACK": "1"}
    env["DBT_PROFILES_DIR"] = str(PROJECT_DIR)
    command = [
        sys.executable, "-m", "customer_scoring.publish", "--build", str(work / "build.duckdb"),
        "--published", str(work / "published.duckdb"), "--target-path", str(work / "target"),
    ]  # fmt: skip
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL)
    # wait4's usage is this run's subtree alone (publish and the dbt it starts), unlike RUSAGE_CHILDREN.
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"the build failed (exit {os.waitstatus_to_exitcode(status)}); see {work / 'target' / 'logs'}")
    return seconds, usage.ru_maxrss / 2**20


def node_timings(target: Path) -> list[dict]:
    """Per executed node: name, layer (its models/ or python_models/ folder), language, seconds and span."""
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {**manifest["nodes"], **manifest["unit_tests"], **manifest["exposures"]}
    rows = []
    for result in json.loads((target / "run_results.json").read_text())["results"]:
        node = nodes[result["unique_id"]]
        execute = [t for t in result["timing"] if t["name"] == "execute"]
        if not execute:
            continue
        layer = node["fqn"][1] if node["resource_type"] == "model" else node["resource_type"].replace("_", " ") + "s"
        rows.append(
            {
                "name": node["name"],
                "layer": layer,
                "language": node.get("language", "sql"),
                "materialized": node.get("config", {}).get("materialized"),
                "seconds": result["execution_time"],
                "started": execute[0]["started_at"],
                "completed": execute[0]["completed_at"],
                "compiled": node.get("compiled_code"),
            }
        )
    return rows


def row_counts(warehouse: Path, names: list[str]) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()}
        return {name: con.execute(f'select count(*) from "{name}"').fetchone()[0] for name in names if name in tables}


def sql_floor(work: Path, node: dict) -> float:
    """Seconds to run the model's compiled SQL directly in DuckDB on the build warehouse (into a temp table)."""
    with duckdb.connect(str(work / "build.duckdb")) as con:
        start = time.perf_counter()
        con.execute(f"create temp table floor_check as {node['compiled']}")
        return time.perf_counter() - start


def report(label: str, work: Path, seconds: float, peak_gb: float, slowest: int, floors: int) -> None:
    nodes = node_timings(work / "target")
    counts = row_counts(work / "build.duckdb", [n["name"] for n in nodes])
    print(f"\n## {label}: {seconds:,.0f} s wall, peak RSS {peak_gb:.1f} GB\n")
    print("| layer | span (s) | sum of model times (s) | models | rows written |")
    print("| --- | ---: | ---: | ---: | ---: |")
    layers = defaultdict(list)
    for node in nodes:
        layers[node["layer"]].append(node)
    for layer, members in sorted(layers.items(), key=lambda item: min(n["started"] for n in item[1])):
        span = _seconds_between(min(n["started"] for n in members), max(n["completed"] for n in members))
        rows = sum(counts.get(n["name"], 0) for n in members)
        print(f"| {layer} | {span:,.1f} | {sum(n['seconds'] for n in members):,.1f} | {len(members)} | {rows:,} |")
    not_models = ("tests", "unit tests", "seeds", "exposures")
    models = sorted((n for n in nodes if n["layer"] not in not_models), key=lambda n: -n["seconds"])
    print("\n| slowest models | language | seconds | rows |\n| --- | --- | ---: | ---: |")
    for node in models[:slowest]:
        print(f"| {node['name']} | {node['language']} | {node['seconds']:,.1f} | {counts.get(node['name'], 0):,} |")
    heavy_sql = [n for n in models if n["language"] == "sql" and n["materialized"] in ("table", "incremental")]
    if floors:
        print("\n| SQL model | dbt (s) | same SQL in DuckDB (s) | ratio |\n| --- | ---: | ---: | ---: |")
    for node in heavy_sql[:floors]:
        floor = sql_floor(work, node)
        print(f"| {node['name']} | {node['seconds']:,.1f} | {floor:,.1f} | {node['seconds'] / floor:.2f} |")


def _seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end.rstrip("Z")) - datetime.fromisoformat(start.rstrip("Z"))).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, default=PROJECT_DIR / "data" / "bench")
    parser.add_argument("--daily", action="store_true", help="build without the last day, then add it and rebuild")
    parser.add_argument("--slowest", type=int, default=12, help="how many of the slowest models to list")
    parser.add_argument("--floors", type=int, default=6, help="how many heavy SQL models to run directly")
    args = parser.parse_args()

    full = args.work / f"raw-{args.customers}-{args.seed}"
    generate(args.customers, args.seed, full)
    run = args.work / f"run-{args.customers}-{args.seed}"
    for path in (run / "build.duckdb", run / "published.duckdb"):
        path.unlink(missing_ok=True)
    raw = run / "raw"
    write_raw(full, raw, before_last_day=args.daily)
    print(f"# {args.customers:,} customers (seed {args.seed}), {os.cpu_count()} cores")
    seconds, peak = build(run, raw)
    label = "full build" + (" without the last day" if args.daily else "")
    report(label, run, seconds, peak, args.slowest, args.floors)
    if args.daily:
        write_raw(full, raw, before_last_day=False)
        seconds, peak = build(run, raw)
        report("daily run (the last day added)", run, seconds, peak, args.slowest, 0)


if __name__ == "__main__":
    main()
