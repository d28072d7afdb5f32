"""The scoring API, served by uvicorn on loopback over a publication of the end-to-end warehouse."""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import duckdb
import httpx
import numpy as np
import pytest
from conftest import PROJECT_DIR

from customer_scoring.api import Warehouse
from customer_scoring.publish import publish, published_tables

KEY = "test-key"
LOAD_REQUESTS, LOAD_CLIENTS = 2000, 8

# Publishes from a process of its own, as `make build` does while the API serves.
PUBLISH = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from customer_scoring.publish import publish
    publish(Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4])
    """
)

# Opens a file read-write, as a BI tool does by default, and holds it until its stdin closes.
HOLD_READ_WRITE = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('open', flush=True); sys.stdin.read()"

# Drops root for nobody, after importing duckdb as root so that the interpreter and its packages need not be
# readable by nobody, then opens the file and prints what it read or DuckDB's error.
OPEN_AS_NOBODY = textwrap.dedent(
    """
    import os, pwd, sys, duckdb
    nobody = pwd.getpwnam("nobody")
    os.setgroups([])
    os.setgid(nobody.pw_gid)
    os.setuid(nobody.pw_uid)
    try:
        with duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read_only") as con:
            print(con.execute("select invocation_id from publication").fetchone()[0])
    except duckdb.Error as error:
        sys.exit(str(error))
    """
)


@contextmanager
def serve(
    published: Path, api_keys: str = f"other,{KEY}", env: dict | None = None, port: int | None = None
) -> Iterator[tuple[httpx.Client, subprocess.Popen]]:
    """The API in a uvicorn process of its own on a loopback port (a free one unless given), with `env` added
    to its environment, and a client holding KEY."""
    if port is None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    env = {
        **os.environ,
        "CUSTOMER_SCORING_PUBLISHED": str(published),
        "CUSTOMER_SCORING_API_KEYS": api_keys,
        # No live logs unless a test brings its own.
        "CUSTOMER_SCORING_RAW_DIR": tempfile.mkdtemp(),
        **(env or {}),
    }
    uvicorn = Path(sys.executable).with_name("uvicorn")
    command = [str(uvicorn), "--factory", "customer_scoring.api:create_app_from_env", "--port", str(port)]
    # From the project directory, as `make api` runs it (the app reads dbt_project.yml).
    server = subprocess.Popen([*command, "--host", "127.0.0.1", "--log-level", "warning"], env=env, cwd=PROJECT_DIR)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=10) as client:
            yield client, server
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def api(published):
    with serve(published) as (client, _):
        yield client


def open_files(pid: int) -> set[str]:
    """What the files process `pid` holds open point to ("... (deleted)" once unlinked or renamed over)."""
    fds = Path(f"/proc/{pid}/fd")
    return {os.readlink(fd) for fd in fds.iterdir() if fd.is_symlink()}


def test_a_customer_has_every_score_and_the_drivers_of_its_risk(api, con):
    customer_id, risk_tier, drivers = con.execute(
        "select s.customer_id, s.risk_tier, [r.driver_1, r.driver_2, r.driver_3] from customer_scores as s "
        "inner join customer_churn_risk as r on s.customer_id = r.customer_id order by 1 limit 1"
    ).fetchone()
    response = api.get(f"/customers/{customer_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["customer_id"] == customer_id
    assert body["risk_tier"] == risk_tier
    assert body["churn_drivers"] == drivers
    assert 0 <= body["churn_probability"] <= 1 and 0 <= body["value_score"] <= 100
    assert body["segment_name"] and body["next_best_action"] and body["segment_description"]
    assert body["forecast_spend_180d"] >= body["forecast_spend_90d"] >= 0
    assert body["value_trend"] in {"rising", "stable", "falling"}


def test_lists_filter_and_page_through_every_match(api, con):
    (expected,) = con.execute("select count(*) from customer_scores where risk_tier = 'high'").fetchone()
    ids = []
    for offset in range(0, expected + 40, 40):
        page = api.get("/customers", params={"risk_tier": "high", "limit": 40, "offset": offset}).json()
        assert page["total"] == expected and page["limit"] == 40 and page["offset"] == offset
        assert all(item["risk_tier"] == "high" for item in page["items"])
        ids += [item["customer_id"] for item in page["items"]]
    assert len(ids) == len(set(ids)) == expected
    (segment,) = con.execute("select segment_name from customer_segment_profiles limit 1").fetchone()
    page = api.get("/customers", params={"segment": segment, "limit": 5}).json()
    clv = [item["clv_12m"] for item in page["items"]]
    assert {item["segment_name"] for item in page["items"]} == {segment}
    assert clv == sorted(clv, reverse=True)


def test_metrics_cover_every_model(api, dbt_vars):
    body = api.get("/metrics").json()
    assert {m["model_name"] for m in body["churn"]} == set(dbt_vars["churn_models"])
    assert {m["model_name"] for m in body["clv"]} >= {"bg_nbd", "pareto_nbd", "gamma_gamma"}
    assert body["value_score"]
    status = {(m["model_family"], m["model_name"]): m for m in body["model_status"]}
    assert status[("churn", "xgboost")]["status"] == "fitted" and status[("churn", "xgboost")]["is_selected"]
    assert {family for family, _ in status} == {"clv", "churn", "segments", "value"}
    assert {m["model_name"] for m in body["value_forecast"]} == {
        "value_forecast",
        "value_score",
        "engagement_score",
        "rfm_score",
        "bg_nbd_clv",
        "usage_forecast",
    }


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}, {"X-API-Key": "clé".encode()}, {"X-API-Key": b"cl\xe9"}],
    ids=["none", "wrong", "empty", "utf-8", "latin-1"],
)
def test_no_key_or_a_wrong_key_is_401(api, headers):
    for path in ["/customers/C000000001", "/customers", "/metrics"]:
        response = httpx.get(f"{api.base_url}{path}", headers=headers)
        assert response.status_code == 401, path


def test_unknown_customer_is_404_and_bad_parameters_are_422(api):
    assert api.get("/customers/no-such-customer").status_code == 404
    for params in [{"risk_tier": "purple"}, {"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "ten"}]:
        assert api.get("/customers", params=params).status_code == 422, params
    # DuckDB's OFFSET is a BIGINT: the largest one is an empty page, one more is a bad parameter.
    page = api.get("/customers", params={"limit": 1000, "offset": 2**63 - 1})
    assert page.status_code == 200 and page.json()["items"] == []
    assert api.get("/customers", params={"offset": 2**63}).status_code == 422


def test_openapi_documents_every_route_and_the_key(api):
    spec = api.get("/openapi.json").json()
    assert set(spec["paths"]) == {"/health", "/customers", "/customers/{customer_id}", "/metrics", "/orders", "/events"}
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"


def test_the_docs_page_loads_everything_from_the_api_itself(api):
    page = api.get("/docs")
    assert page.status_code == 200
    absolute = re.findall(r"https?://[^\s\"'<>]+", page.text)
    assert [url for url in absolute if not url.startswith(str(api.base_url))] == []
    assets = re.findall(r"(?:src|href)=\"([^\"]+)\"", page.text)
    assert {Path(asset).suffix for asset in assets} >= {".js", ".css"}
    for asset in assets:
        assert api.get(asset).status_code == 200, asset
    # Swagger UI's default validator badge is an image from validator.swagger.io.
    assert '"validatorUrl": null' in page.text


def test_every_listed_key_is_accepted_whatever_the_spaces_around_the_commas(published):
    with serve(published, api_keys=" other , test-key,clé-ключ ") as (client, _):
        for key in [b"other", b"test-key", "clé-ключ".encode()]:
            assert client.get("/metrics", headers={"X-API-Key": key}).status_code == 200, key


def test_a_request_under_way_finishes_on_the_old_publication_and_the_next_one_reads_the_new(tmp_path):
    def write(path: Path, invocation_id: str) -> None:
        with duckdb.connect(str(path)) as con:
            con.execute("create table publication as select ? as invocation_id", [invocation_id])

    path = tmp_path / "warehouse.duckdb"
    write(path, "old")
    warehouse = Warehouse(path)
    read = "select invocation_id from publication"
    with warehouse.cursor() as under_way:
        assert under_way.execute(read).fetchone() == ("old",)
        write(tmp_path / "next.duckdb", "new")
        os.replace(tmp_path / "next.duckdb", path)
        with warehouse.cursor() as next_request:
            assert next_request.execute(read).fetchone() == ("new",)
        assert under_way.execute(read).fetchone() == ("old",)


def test_the_api_serves_a_publication_made_by_another_process_from_the_next_request_on(warehouse, tmp_path):
    tables = published_tables(warehouse.parent / "target" / "manifest.json")
    path = tmp_path / "warehouse.duckdb"
    publish(warehouse, path, tables, "first")
    # The next build: the first publication less one customer.
    build = tmp_path / "next_build.duckdb"
    shutil.copyfile(path, build)
    with duckdb.connect(str(build)) as con:
        (gone,) = con.execute(
            "delete from customer_scores where customer_id = (select min(customer_id) from customer_scores) "
            "returning customer_id"
        ).fetchone()
    with serve(path) as (client, server):
        assert client.get("/health").json()["invocation_id"] == "first"
        total = client.get("/customers", params={"limit": 1}).json()["total"]
        assert client.get(f"/customers/{gone}").status_code == 200
        assert str(path) in open_files(server.pid)
        subprocess.run([sys.executable, "-c", PUBLISH, str(build), str(path), json.dumps(tables), "second"], check=True)
        assert client.get("/health").json()["invocation_id"] == "second"
        assert client.get(f"/customers/{gone}").status_code == 404
        assert client.get("/customers", params={"limit": 1}).json()["total"] == total - 1
        assert f"{path} (deleted)" not in open_files(server.pid), "the old publication is closed"


def test_a_publication_held_open_read_write_is_503_until_it_is_let_go(published, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(published, path)
    with serve(path) as (client, _):
        assert client.get("/health").status_code == 200
        # A new publication, opened read-write (as root may, whatever its mode) before the API reads it.
        shutil.copyfile(published, tmp_path / "next.duckdb")
        os.replace(tmp_path / "next.duckdb", path)
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_READ_WRITE, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            assert holder.stdout.readline() == "open\n"
            for route in ["/health", "/customers?limit=1", "/metrics"]:
                response = client.get(route)
                assert response.status_code == 503, route
                detail = response.json()["detail"]
                assert "lock" in detail and "\n" not in detail, detail
        finally:
            holder.stdin.close()
            holder.wait(timeout=30)
        assert client.get("/health").status_code == 200


def test_the_publication_is_read_only_for_everyone(published):
    assert stat.S_IMODE(published.stat().st_mode) == 0o444


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A temporary directory every user may enter (pytest's are private to root)."""
    with tempfile.TemporaryDirectory() as directory:
        Path(directory).chmod(0o755)
        yield Path(directory)


def test_even_its_owner_can_open_the_publication_read_only_but_not_read_write(warehouse, shared_dir):
    path = shared_dir / "warehouse.duckdb"
    publish(warehouse, path, ["customer_scores"], "shared")
    # As if nobody had published it: the mode bits must stop the owner too (root ignores them).
    nobody = pwd.getpwnam("nobody")
    os.chown(path, nobody.pw_uid, nobody.pw_gid)

    def open_as_nobody(mode: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", OPEN_AS_NOBODY, str(path), mode], capture_output=True, text=True)

    read_only = open_as_nobody("read_only")
    assert read_only.returncode == 0 and read_only.stdout == "shared\n", read_only.stderr
    read_write = open_as_nobody("read_write")
    assert read_write.returncode != 0 and "Permission denied" in read_write.stderr, read_write.stdout


def test_bounded_load_on_loopback(api, con, capsys):
    ids = [
        row[0] for row in con.execute("select customer_id from customer_scores order by random() limit 200").fetchall()
    ]
    paths = [
        f"/customers/{ids[i % len(ids)]}" if i % 4 else "/customers?risk_tier=critical&limit=50"
        for i in range(LOAD_REQUESTS)
    ]

    def timed(path: str) -> tuple[int, float]:
        start = time.perf_counter()
        status = api.get(path).status_code
        return status, time.perf_counter() - start

    started = time.perf_counter()
    with ThreadPoolExecutor(LOAD_CLIENTS) as pool:
        results = list(pool.map(timed, paths))
    elapsed = time.perf_counter() - started
    statuses = [status for status, _ in results]
    p50, p99 = np.percentile([seconds for _, seconds in results], [50, 99]) * 1000
    with capsys.disabled():
        print(
            f"\nAPI load: {LOAD_REQUESTS} requests, {LOAD_CLIENTS} clients, {LOAD_REQUESTS / elapsed:.0f} req/s, "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        )
    assert statuses.count(200) == LOAD_REQUESTS
