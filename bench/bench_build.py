"""Time the whole build (dbt build + publish) on N generated customers; print where the time goes.

    .venv/bin/python bench/bench_build.py --customers 1000000 [--daily]

Generates the dataset once into --work (reused by later runs of the same size and seed; generation is
not part of the build), runs `python -m customer_scoring.publish` from scratch and prints:

- the whole run's wall time and peak memory (the largest high-water mark of its processes, from the kernel);
- per layer, the wall-clock span of its models, the sum of their run times and the rows they wrote;
- the slowest models, each with the build's peak memory while it ran (sampled from /proc every
  `--sample-seconds`: dbt runs its two threads' models in one process, so a model shares the figure with
  whatever ran beside it);
- the SQL floor: each of the slowest SQL models' compiled SQL run directly in DuckDB on the same build
  warehouse, in the same run, written to a table of that warehouse as dbt writes it, alone, at the memory limit
  the build runs with; dbt's time as a ratio of it, beside the share of the model's run during which dbt's other
  thread was running something, and the same SQL at DuckDB's own memory limit (80% of the machine): what the
  build's limit costs.

With --daily, the first build leaves out the raw rows of the history's last day (orders, web events and the
CRM rows that signed up that day, and the bad rows dated later), then they are added as a file per source, as a
daily export delivers them, and the build runs again, as a daily run with one new day of data does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[1]
SOURCES = {"crm_customers": "signup_date", "orders": "order_ts", "web_events": "event_ts"}
# Starts the build and prints its peak RSS (KB; wait4's usage of that subtree alone, publish and the dbt it starts)
# and exit code. Linux gives a new program its parent's high-water mark (kept from the parent's memory at exec), so
# the build is started from this small process: started from the bench, which split the raw data and ran the SQL
# floors in DuckDB, it would report the bench's peak (9.6 GB for a daily run that peaked at 4.7 GB).
LAUNCHER = """
import os, subprocess, sys
build = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(build.pid, 0)
print(usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def generate(customers: int, seed: int, raw: Path) -> None:
    if (raw / "orders.parquet").exists():
        return
    subprocess.run(
        [sys.executable, "-m", "customer_scoring.generate", "--customers", str(customers), "--seed", str(seed),
         "--out", str(raw), "--truth", str(raw.with_name(raw.name + "-truth"))],
        check=True,
    )  # fmt: skip


def write_raw(full: Path, raw: Path, new_day: Path | None) -> None:
    """Copy the raw files. With `new_day`, the rows dated on or after the history's last day (the generator's cutoff
    date: its bad rows include timestamps years ahead, so the raw maximum is not it) go there instead, each source's
    to `<name>_<day>.parquet`: the day's export, which the daily run adds to the raw files."""
    shutil.rmtree(raw, ignore_errors=True)
    raw.mkdir(parents=True)
    last_day = json.loads((full.with_name(full.name + "-truth") / "manifest.json").read_text())["cutoff_date"]
    with duckdb.connect() as con:
        for name, column in SOURCES.items():
            source = f"'{full}/{name}.parquet'"
            if new_day is None:
                con.execute(f"copy (select * from {source}) to '{raw}/{name}.parquet' (format parquet)")
                continue
            new_day.mkdir(parents=True, exist_ok=True)
            before = f"coalesce(try_cast(substr({column}, 1, 10) as date) < '{last_day}', true)"
            parts = [(before, raw / f"{name}.parquet"), (f"not {before}", new_day / f"{name}_{last_day}.parquet")]
            for rows, target in parts:
                con.execute(f"copy (select * from {source} where {rows}) to '{target}' (format parquet)")


def tree_memory_bytes(root: int) -> tuple[int, int]:
    """Resident memory of `root` and every process below it, and the largest of their high-water marks (VmHWM),
    from /proc (a process that just ended counts 0)."""
    rss, high_water, frontier = 0, 0, [root]
    while frontier:
        pid = frontier.pop()
        try:
            status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
            rss += int(status["VmRSS"].split()[0]) * 1024
            high_water = max(high_water, int(status["VmHWM"].split()[0]) * 1024)
            for children in Path(f"/proc/{pid}/task").glob("*/children"):
                frontier += [int(child) for child in children.read_text().split()]
        except (OSError, KeyError):  # ended meanwhile (a zombie has no VmRSS)
            continue
    return rss, high_water


def build(work: Path, raw: Path, sample_seconds: float) -> tuple[float, float, list[tuple[datetime, int, int]]]:
    """Run the build and publish; return its wall seconds, the largest process's peak RSS in GB and the
    (UTC time, RSS bytes, largest high-water mark) samples of the whole process tree."""
    env = {**os.environ, "CUSTOMER_SCORING_RAW_DIR": str(raw), "DO_NOT_TRACK": "1"}
    env["DBT_PROFILES_DIR"] = str(PROJECT_DIR)
    command = [
        sys.executable, "-m", "customer_scoring.publish", "--build", str(work / "build.duckdb"),
        "--published", str(work / "published.duckdb"), "--target-path", str(work / "target"),
    ]  # fmt: skip
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, *command], cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, text=True
    )
    samples: list[tuple[datetime, int, int]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(sample_seconds):
            samples.append((datetime.now(UTC).replace(tzinfo=None), *tree_memory_bytes(process.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    max_rss_kb, exit_code = (int(word) for word in process.communicate()[0].split())
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if exit_code:
        sys.exit(f"the build failed (exit {exit_code}); see {work / 'target' / 'logs'}")
    return seconds, max_rss_kb / 2**20, samples


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


def build_memory_limit() -> str:
    """The DuckDB memory limit the build runs with: CUSTOMER_SCORING_DUCKDB_MEMORY, else the profile's default."""
    profile = (PROJECT_DIR / "profiles.yml").read_text()
    default = re.search(r"env_var\('CUSTOMER_SCORING_DUCKDB_MEMORY', '([^']+)'\)", profile).group(1)
    return os.environ.get("CUSTOMER_SCORING_DUCKDB_MEMORY", default)


def sql_floor(work: Path, node: dict, memory_limit: str | None) -> float:
    """Seconds to run the model's compiled SQL directly in DuckDB on the build warehouse, into a table of that
    warehouse (as dbt does: a temp table lives in memory and skips writing the rows to disk), then committed;
    at `memory_limit`, or DuckDB's own default when None."""
    config = {"memory_limit": memory_limit} if memory_limit else {}
    with duckdb.connect(str(work / "build.duckdb"), config=config) as con:
        start = time.perf_counter()
        con.execute(f"create table floor_check as {node['compiled']}")
        seconds = time.perf_counter() - start
        con.execute("drop table floor_check")
        return seconds


def shared_share(node: dict, nodes: list[dict]) -> float:
    """Share of `node`'s run during which at least one other node ran (dbt's other thread)."""
    start, end = _utc(node["started"]), _utc(node["completed"])
    others = sorted(
        (max(start, _utc(n["started"])), min(end, _utc(n["completed"])))
        for n in nodes
        if n is not node and _utc(n["started"]) < end and _utc(n["completed"]) > start
    )
    shared, reached = 0.0, start
    for begin, finish in others:
        if finish > reached:
            shared += (finish - max(begin, reached)).total_seconds()
            reached = finish
    return shared / max((end - start).total_seconds(), 1e-9)


def peak_while_running(node: dict, samples: list[tuple[datetime, int, int]]) -> float:
    """The largest RSS sample (GB) taken while the node ran; 0 when it ran between two samples."""
    started, completed = _utc(node["started"]), _utc(node["completed"])
    return max((rss for at, rss, _ in samples if started <= at <= completed), default=0) / 2**30


def high_water_rise(nodes: list[dict], samples: list[tuple[datetime, int, int]]) -> tuple[float, list[str]]:
    """The largest high-water mark sampled (GB) and the nodes running between the sample that first shows it and
    the one before: a peak too brief for the RSS samples still moves the mark, which the kernel keeps."""
    if len(samples) < 2:
        return 0.0, []
    mark = max(high_water for _, _, high_water in samples)
    first = next(i for i, (_, _, high_water) in enumerate(samples) if high_water == mark)
    since, until = samples[max(first - 1, 0)][0], samples[first][0]
    return mark / 2**30, [n["name"] for n in nodes if _utc(n["started"]) <= until and _utc(n["completed"]) >= since]


def report(
    label: str,
    work: Path,
    run: tuple[float, float, list[tuple[datetime, int, int]]],
    slowest: int,
    floors: int,
) -> None:
    seconds, peak_gb, samples = run
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
    print("\n| slowest models | language | seconds | rows | peak RSS while it ran (GB) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for node in models[:slowest]:
        peak = peak_while_running(node, samples)
        print(
            f"| {node['name']} | {node['language']} | {node['seconds']:,.1f} | {counts.get(node['name'], 0):,} "
            f"| {peak:.1f} |"
        )
    # Tests too: a data test on a large table runs a query as heavy as a model's.
    by_memory = sorted(nodes, key=lambda n: -peak_while_running(n, samples))
    sampled = max((rss for _, rss, _ in samples), default=0) / 2**30
    print(f"\nThe largest sample of the whole run: {sampled:.1f} GB (the peak above is the kernel's high-water mark).")
    mark, running = high_water_rise(nodes, samples)
    running = ", ".join(running) or "no dbt node"
    print(f"The largest high-water mark sampled, {mark:.1f} GB, first showed while these ran: {running}.")
    print("\n| nodes running at the highest RSS | seconds | peak RSS while it ran (GB) |\n| --- | ---: | ---: |")
    for node in by_memory[:slowest]:
        print(f"| {node['name']} | {node['seconds']:,.1f} | {peak_while_running(node, samples):.1f} |")
    heavy_sql = [n for n in models if n["language"] == "sql" and n["materialized"] in ("table", "incremental")]
    if floors:
        limit = build_memory_limit()
        print(
            f"\n| SQL model | dbt (s) | same SQL in DuckDB, alone, {limit} (s) | ratio | share of its run shared "
            "| same SQL, DuckDB's default memory limit (s) |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for node in heavy_sql[:floors]:
            floor, unlimited = sql_floor(work, node, limit), sql_floor(work, node, None)
            ratio, shared = node["seconds"] / floor, shared_share(node, nodes)
            figures = f"{node['seconds']:,.1f} | {floor:,.1f} | {ratio:.2f} | {shared:.0%} | {unlimited:,.1f}"
            print(f"| {node['name']} | {figures} |")


def _utc(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.rstrip("Z"))


def _seconds_between(start: str, end: str) -> float:
    return (_utc(end) - _utc(start)).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, default=PROJECT_DIR / "data" / "bench")
    parser.add_argument("--daily", action="store_true", help="build without the last day, then add it and rebuild")
    parser.add_argument("--slowest", type=int, default=12, help="how many of the slowest models to list")
    parser.add_argument("--floors", type=int, default=6, help="how many heavy SQL models to run directly")
    parser.add_argument("--sample-seconds", type=float, default=0.5, help="how often to sample the build's RSS")
    args = parser.parse_args()

    full = args.work / f"raw-{args.customers}-{args.seed}"
    generate(args.customers, args.seed, full)
    run = args.work / f"run-{args.customers}-{args.seed}"
    for path in (run / "build.duckdb", run / "published.duckdb"):
        path.unlink(missing_ok=True)
    raw, new_day = run / "raw", run / "new_day" if args.daily else None
    write_raw(full, raw, new_day)
    print(f"# {args.customers:,} customers (seed {args.seed}), {os.cpu_count()} cores")
    label = "full build" + (" without the last day" if args.daily else "")
    report(label, run, build(run, raw, args.sample_seconds), args.slowest, args.floors)
    if args.daily:
        for day_file in sorted(new_day.iterdir()):
            day_file.rename(raw / day_file.name)
        report("daily run (the last day's files added)", run, build(run, raw, args.sample_seconds), args.slowest, 0)


if __name__ == "__main__":
    main()
