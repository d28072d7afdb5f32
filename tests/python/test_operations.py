"""Daily operation: two days of write-audit-publish runs into one build warehouse, with a reader
process querying the published warehouse the whole time, then a failing run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import RUN_COLUMNS

pytestmark = pytest.mark.e2e  # runs dbt itself (customer_scoring.publish)

PROJECT_DIR = Path(__file__).resolve().parents[2]

DAY_ONE_END = "2025-11-30 23:59:59"

# Opens the published warehouse again and again until told to stop; each time reads the publication
# record and checks that every table it lists has that row count and one as-of date.
READER = textwrap.dedent(
    """
    import json, sys, time, duckdb
    from pathlib import Path
    published, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    seen, errors, mismatches, reads = set(), [], [], 0
    while not stop.exists():
        try:
            with duckdb.connect(str(published), read_only=True) as con:
                rows = con.execute("select invocation_id, table_name, row_count from publication").fetchall()
                for invocation_id, table, expected in rows:
                    (actual,) = con.execute(f'select count(*) from "{table}"').fetchone()
                    if actual != expected:
                        mismatches.append([invocation_id, table, expected, actual])
                dates = con.execute(
                    "select count(distinct as_of_date) from (select as_of_date from customer_scores "
                    "union all select as_of_date from customer_rfm union all select as_of_date from customer_clv)"
                ).fetchone()[0]
                if dates != 1:
                    mismatches.append([rows[0][0], "as_of_date", 1, dates])
                seen.add(rows[0][0])
                reads += 1
        except Exception as error:  # any error is what the test is looking for
            errors.append(repr(error))
        time.sleep(0.05)
    out.write_text(json.dumps({"seen": sorted(seen), "errors": errors, "mismatches": mismatches, "reads": reads}))
    """
)


def publish(raw: Path, build: Path, published: Path, *dbt_args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "CUSTOMER_SCORING_RAW_DIR": str(raw),
    }
    command = [sys.executable, "-m", "customer_scoring.publish", "--build", str(build), "--published", str(published)]
    command += ["--target-path", str(build.parent / "target"), "--", *dbt_args]
    return subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)


def cut_raw(source: Path, target: Path, end: str) -> None:
    """The raw files as they stood at `end`: orders and events after it are not there yet."""
    shutil.copytree(source, target)
    for name, column in [("orders.parquet", "order_ts"), ("web_events.parquet", "event_ts")]:
        table = pq.read_table(target / name)
        pq.write_table(table.filter(pc.fill_null(pc.less_equal(table[column], end), True)), target / name)


@pytest.fixture(scope="module")
def daily_runs(dataset, tmp_path_factory) -> dict:
    """Day one: the raw files cut at the end of November; day two: all of them, loaded incrementally."""
    root = tmp_path_factory.mktemp("operations")
    build, published = root / "build.duckdb", root / "published" / "warehouse.duckdb"
    day_one = root / "raw_day_one"
    cut_raw(dataset["raw"], day_one, DAY_ONE_END)
    first = publish(day_one, build, published)
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-3000:]
    with duckdb.connect(str(published), read_only=True) as con:
        day_one_scores = con.execute("select * from customer_scores order by customer_id").df()
        day_one_published_at = con.execute("select max(published_at) from publication").fetchone()[0]

    stop, out = root / "stop", root / "reader.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(published), str(stop), str(out)])
    try:
        second = publish(dataset["raw"], build, published)
        assert second.returncode == 0, second.stdout[-6000:] + second.stderr[-3000:]
        published_inode = published.stat().st_ino
        day_two_build = root / "day_two_build.duckdb"
        shutil.copy(build, day_two_build)
        with duckdb.connect(str(build), read_only=True) as con:
            day_two_values = con.execute("select model_name, variable_name, observed_value from monitored_values").df()
            day_one_bins = con.execute(
                "select * from monitoring_bins where as_of_date = '2025-11-30' order by bin_number"
            ).df()
        # A model whose SQL fails (a var that is no number): the build fails and must not be published.
        failed = publish(dataset["raw"], build, published, "--vars", "{session_timeout_minutes: thirty}")
    finally:
        stop.touch()
        reader.wait(timeout=120)
    return {
        "build": build,
        "published": published,
        "day_one_scores": day_one_scores,
        "day_one_published_at": day_one_published_at,
        "failed": failed,
        "published_inode": published_inode,
        "day_two_build": day_two_build,
        "day_two_values": day_two_values,
        "day_one_bins": day_one_bins,
        "reader": json.loads(out.read_text()),
    }


def test_a_reader_never_sees_a_lock_a_missing_table_or_a_mix_of_runs(daily_runs):
    reader = daily_runs["reader"]
    assert reader["errors"] == []
    assert reader["mismatches"] == []
    assert len(reader["seen"]) == 2, "the reader saw both publications"
    assert reader["reads"] > 10


def test_a_failed_build_leaves_the_last_publication_untouched(daily_runs):
    assert daily_runs["failed"].returncode != 0
    assert "is left as it was" in daily_runs["failed"].stderr
    assert daily_runs["published"].stat().st_ino == daily_runs["published_inode"]
    with duckdb.connect(str(daily_runs["published"]), read_only=True) as con:
        (as_of,) = con.execute("select max(as_of_date) from customer_scores").fetchone()
    assert str(as_of) == "2025-12-31"
    assert not list(daily_runs["published"].parent.glob(".*.tmp")), "no half-written publication is left behind"


def keyed_tests(manifest: Path) -> list[dict]:
    """The key tests that check only the rows written since the last publication (with `written_at`)."""
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return [
        node
        for node in nodes
        if node["resource_type"] == "test" and (node.get("test_metadata") or {}).get("kwargs", {}).get("written_at")
    ]


def test_a_key_repeated_by_a_row_written_since_the_last_publication_fails_its_test(daily_runs, dbt, dataset):
    """Day two's build recorded its publication; a row written after it that repeats the key of a row published
    before fails the key's test, which reads the rows written since against the whole table."""
    build = daily_runs["day_two_build"]
    with duckdb.connect(str(daily_runs["published"]), read_only=True) as con:
        (published_run,) = con.execute("select distinct invocation_id from publication").fetchone()
    with duckdb.connect(str(daily_runs["build"]), read_only=True) as con:
        assert con.execute("select invocation_id from last_publication").fetchall() == [(published_run,)], (
            "the failed third run left the record of the last publication"
        )
    tests = keyed_tests(build.parent / "target" / "manifest.json")
    assert {test["attached_node"].split(".")[-1] for test in tests} >= {"base_web__events", "int_web_events_validated"}
    checked = build.parent / "checked" / "build.duckdb"
    checked.parent.mkdir()
    shutil.copy(build, checked)
    with duckdb.connect(str(checked)) as con:
        for test in tests:
            model, written_at = test["attached_node"].split(".")[-1], test["test_metadata"]["kwargs"]["written_at"]
            con.execute(
                f"""insert into {model}
                select * replace (current_timestamp as {written_at})
                from {model}
                where ({test["config"]["where"] or "true"})
                    and {written_at} < (select published_at from last_publication)
                limit 1"""
            )
    result = dbt(["test", "--select", *(test["name"] for test in tests)], dataset["raw"], checked, check=False)
    results = json.loads((checked.parent / "target" / "run_results.json").read_text())["results"]
    results = [r for r in results if r["unique_id"].startswith("test.")]  # not the on-run-start hook
    assert {r["unique_id"]: (r["status"], r["failures"]) for r in results} == {
        test["unique_id"]: ("fail", 1) for test in tests
    }, result.stdout[-4000:]
    assert all("last_publication" in r["compiled_code"] for r in results)


def test_score_history_answers_what_a_score_was_on_a_past_run(daily_runs):
    with duckdb.connect(str(daily_runs["published"]), read_only=True) as con:
        then = con.execute(
            "select customer_id, value_score, clv_12m, churn_probability, segment_name from customer_scores_history "
            "where dbt_valid_from <= ? and (dbt_valid_to is null or dbt_valid_to > ?) order by customer_id",
            [daily_runs["day_one_published_at"]] * 2,
        ).df()
        versions = con.execute(
            "select count(*) from (select customer_id from customer_scores_history group by 1 having count(*) > 1)"
        ).fetchone()[0]
    expected = daily_runs["day_one_scores"][then.columns]
    assert len(then) == len(expected)
    assert then.equals(expected)
    assert versions > 100, "customers whose scores changed between the two days have two versions"


def psi(values: np.ndarray, bins: pd.DataFrame) -> float:
    """The population stability index of `values` over reference bins (first open below, last above)."""
    upper = bins["upper_edge"].to_numpy(dtype=float)[:-1]
    current = np.bincount(np.searchsorted(upper, values, side="right"), minlength=len(bins)) / len(values)
    current, reference = np.maximum(current, 1e-4), np.maximum(bins["bin_share"].to_numpy(), 1e-4)
    return float(np.sum((current - reference) * np.log(current / reference)))


def test_monitoring_measures_drift_from_the_previous_run(daily_runs):
    with duckdb.connect(str(daily_runs["published"]), read_only=True) as con:
        monitoring = con.execute("select * from model_monitoring").df().set_index(["model_name", "variable_name"])
    assert (monitoring["reference_as_of_date"].astype(str) == "2025-11-30").all()
    assert monitoring["population_stability_index"].notna().all()
    values = daily_runs["day_two_values"].groupby(["model_name", "variable_name"])["observed_value"]
    for (model_name, variable_name), bins in daily_runs["day_one_bins"].groupby(["model_name", "variable_name"]):
        expected = psi(values.get_group((model_name, variable_name)).to_numpy(), bins)
        measured = monitoring.loc[(model_name, variable_name), "population_stability_index"]
        assert measured == pytest.approx(expected, abs=1e-9)
    # A model is flagged for retraining exactly when one of its variables drifted.
    drifted = monitoring.groupby("model_name")["is_drifted"].any()
    assert (monitoring["retrain_on_next_run"] == monitoring.index.get_level_values(0).map(drifted)).all()


@pytest.mark.parametrize(
    "table",
    [
        "base_shop__orders",
        "base_web__events",
        "int_orders_validated",
        "int_web_events_validated",
        "int_web_events_rolled_up_to_session_days",
        "int_customer_daily_activity",
        "quarantined_rows",
        "fct_orders",
        "fct_web_sessions",
        "customer_churn_features",
        "customer_value_features",
        "customer_rfm",
    ],
)
def test_an_incremental_run_equals_a_full_refresh(daily_runs, warehouse, table):
    """Day two loaded incrementally on top of day one; the session warehouse is one full build of day two.
    When a row was loaded or validated is the one thing that differs."""
    with duckdb.connect(str(daily_runs["day_two_build"]), read_only=True) as con:
        con.execute(f"attach '{warehouse}' as full_refresh (read_only)")
        (rows,) = con.execute(f"select count(*) from main.{table}").fetchone()
        described = con.execute(f"select * from main.{table} limit 0").description
        columns = ", ".join(column[0] for column in described if column[0] not in RUN_COLUMNS)
        only_incremental, only_full = (
            con.execute(
                f"select count(*) from (select {columns} from {a}.{table} except all select {columns} from {b}.{table})"
            ).fetchone()[0]
            for a, b in [("main", "full_refresh.main"), ("full_refresh.main", "main")]
        )
    assert rows > 0
    assert only_incremental == only_full == 0
