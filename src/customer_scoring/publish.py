"""Write-audit-publish: `dbt build` writes to a build warehouse; only a build whose every model and test
passed is published to the warehouse BI tools read.

The publication is written to a new file beside the published one and swapped in with one atomic
rename. A reader that opened the old file keeps reading it (the inode lives while it is open); a new
connection sees the new file whole. Readers never share a file with a writer, so they never wait on a
lock, see a missing table or mix two runs; a failed build never reaches the rename. The file is
read-only for everyone (mode 0o444): one reader opening it read-write would lock out all the others.

    customer-scoring build [--build PATH] [--published PATH] [-- dbt build arguments]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from customer_scoring.cli import run_module
from customer_scoring.ingest import start_logs
from customer_scoring.status import print_publication

DEFAULT_BUILD = "data/build.duckdb"
DEFAULT_PUBLISHED = "data/warehouse.duckdb"


def published_tables(manifest_path: Path) -> list[str]:
    """The models with an enforced contract (what BI tools read) and the snapshots, from dbt's manifest."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return sorted(
        node["name"]
        for node in nodes
        if node["resource_type"] == "snapshot"
        or (node["resource_type"] == "model" and node["config"]["contract"]["enforced"])
    )


def one_row_per_customer(manifest_path: Path) -> set[str]:
    """The models with a `unique` test on customer_id: the API and the live scorer look their rows up by it."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return {
        node["attached_node"].split(".")[-1]
        for node in nodes
        if node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name") == "unique"
        and node.get("column_name") == "customer_id"
        and node.get("attached_node")
    }


def publish(
    build: Path, published: Path, tables: list[str], invocation_id: str, indexed: set[str] = frozenset()
) -> None:
    """Copy `tables` from the build warehouse into a new file and rename it over `published`; the tables in
    `indexed` get an index on customer_id, so that a lookup of one customer reads no more than its rows.

    The `publication` table records the run and each table's row count, so a reader can check that
    everything it read came from one publication.
    """
    if build.resolve() == published.resolve():
        raise ValueError("the build and the published warehouse must be different files")
    staging = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(staging)) as con:
            # A table's rows have no order (the build's parallel queries write them in varying order already):
            # not keeping the build's lets DuckDB copy a table on both cores.
            con.execute("set preserve_insertion_order = false")
            con.execute(f"attach '{build}' as build (read_only)")
            built = {
                name
                for (name,) in con.execute(
                    "select table_name from duckdb_tables() where database_name = 'build'"
                ).fetchall()
            }
            missing = sorted(set(tables) - built)
            if missing:
                raise RuntimeError(f"the build warehouse lacks {missing}: nothing published")
            for table in tables:
                con.execute(f'create table main."{table}" as select * from build.main."{table}"')
                if table in indexed:
                    con.execute(f'create index "{table}__customer_id" on main."{table}" (customer_id)')
            counts = " union all ".join(f"select '{table}', count(*) from main.\"{table}\"" for table in tables)
            con.execute(
                f"""create table main.publication as
                select ? as invocation_id, current_timestamp as published_at, table_name, row_count
                from ({counts}) as counts (table_name, row_count)""",
                [invocation_id],
            )
        staging.chmod(0o444)
        os.replace(staging, published)
    finally:
        staging.unlink(missing_ok=True)


def every_data_test_passed(target_path: Path) -> bool:
    """Whether the dbt run whose artifacts are in `target_path` ran every data test of its manifest, and each
    passed (a `--select`ed or `--exclude`d build did not)."""
    nodes = json.loads((target_path / "manifest.json").read_text())["nodes"].values()
    tests = {node["unique_id"] for node in nodes if node["resource_type"] == "test"}
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    return tests <= {result["unique_id"] for result in results if result["status"] == "pass"}


def record_publication(build: Path, invocation_id: str) -> None:
    """Record in the build warehouse that all it holds passed every data test and was published: a key's test
    (`unique_combination_of_columns` with `written_at`) then checks the rows written since against the whole
    table. Written after the publication, so a failure here only leaves an older record (more rows checked)."""
    with duckdb.connect(str(build)) as con:
        con.execute(
            """create or replace table main.last_publication as
            select ? as invocation_id, current_timestamp as published_at""",
            [invocation_id],
        )


def build_and_publish(build: Path, published: Path, dbt_args: list[str], target_path: Path) -> int:
    """Run `dbt build` into `build`; publish only when it succeeds. Returns dbt's exit code."""
    published.parent.mkdir(parents=True, exist_ok=True)
    build.parent.mkdir(parents=True, exist_ok=True)
    # Raw data brought by hand has no live logs yet; the live source reads them (empty is fine).
    start_logs(Path(os.environ.get("CUSTOMER_SCORING_RAW_DIR", "data/raw")))
    dbt = Path(sys.executable).with_name("dbt")
    env = {**os.environ, "CUSTOMER_SCORING_WAREHOUSE": str(build), "DO_NOT_TRACK": "1"}
    command = [str(dbt), "build", "--target-path", str(target_path), *dbt_args]
    result = subprocess.run(command, env=env)
    if result.returncode != 0:
        print(f"dbt build failed (exit {result.returncode}): {published} is left as it was.", file=sys.stderr)
        return result.returncode
    invocation_id = json.loads((target_path / "run_results.json").read_text())["metadata"]["invocation_id"]
    manifest = target_path / "manifest.json"
    publish(build, published, published_tables(manifest), invocation_id, one_row_per_customer(manifest))
    if every_data_test_passed(target_path):
        record_publication(build, invocation_id)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--build", type=Path, default=Path(os.environ.get("CUSTOMER_SCORING_WAREHOUSE", DEFAULT_BUILD)))
    published_default = os.environ.get("CUSTOMER_SCORING_PUBLISHED", DEFAULT_PUBLISHED)
    parser.add_argument("--published", type=Path, default=Path(published_default))
    parser.add_argument("--target-path", type=Path, default=Path("target"), help="dbt's target directory")
    parser.add_argument(
        "--publish-only",
        metavar="RUN_ID",
        help="run no dbt: publish the build warehouse as it stands, recorded as run RUN_ID (for an orchestrator "
        "that ran every dbt node, and publishes only when all passed); the models come from the manifest in "
        "--target-path (`dbt parse`)",
    )
    parser.add_argument("dbt_args", nargs="*", help="passed to dbt build (after --)")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.publish_only is not None:
        manifest = args.target_path / "manifest.json"
        if args.dbt_args:
            parser.error("--publish-only runs no dbt: it takes no dbt arguments")
        for needed, what in [(args.publish_only, "a run id"), (manifest.is_file(), f"a dbt manifest at {manifest}"),
                             (args.build.is_file(), f"a build warehouse at {args.build}")]:  # fmt: skip
            if not needed:
                parser.error(f"--publish-only needs {what}")
        args.published.parent.mkdir(parents=True, exist_ok=True)
        try:
            tables = published_tables(manifest)
            publish(args.build, args.published, tables, args.publish_only, one_row_per_customer(manifest))
        except RuntimeError as error:
            parser.error(str(error))
    elif (code := build_and_publish(args.build, args.published, args.dbt_args, args.target_path)) != 0:
        return code
    print_publication(args.published)
    return 0


if __name__ == "__main__":
    sys.exit(run_module(sys.modules[__name__]))
