"""The scoring API: read access to the published warehouse, and orders and web events sent one at a time.

    CUSTOMER_SCORING_API_KEYS=secret1,secret2 CUSTOMER_SCORING_INGEST_KEYS=secret3 customer-scoring api

Every route but /health needs an `X-API-Key` header (else 401): the GET routes one of the read keys,
`POST /orders` and `POST /events` one of the ingest keys, which land items in the live logs under
CUSTOMER_SCORING_RAW_DIR (see `customer_scoring.ingest`); a read key cannot write, nor an ingest key read.
Each request reads through a cursor on the current publication: when a new one is swapped in (see
`customer_scoring.publish`), the next request opens it, while requests already running finish on the
old file. While the file cannot be opened (a reader holding it read-write locks it), requests get 503.
Swagger UI at /docs is served from the API itself, so it works without a network.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import sys
import threading
from contextlib import asynccontextmanager
from datetime import date, datetime
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import Annotated, Literal

import duckdb
import uvicorn
from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request, Security
from fastapi.security import APIKeyHeader
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field

from customer_scoring.cli import run_module
from customer_scoring.ingest import ID_COLUMNS, Intake
from customer_scoring.items import RawEvent, RawItem, RawOrder
from customer_scoring.live import LiveScorer, LiveSettings

RiskTier = Literal["low", "medium", "high", "critical", "lapsed"]


class CustomerScores(BaseModel):
    customer_id: str
    engagement_score: float
    value_score: float
    is_high_value: bool
    forecast_spend_90d: float | None
    forecast_spend_180d: float | None
    value_trend: Literal["rising", "stable", "falling"] | None
    is_high_value_forecast: bool | None
    rfm_segment: str | None
    p_alive: float | None
    clv_12m: float | None
    clv_decile: int | None
    purchase_probability: float | None
    expected_next_order_date: date | None
    churn_probability: float | None
    risk_tier: RiskTier | None
    segment_name: str | None
    next_best_action: str | None
    expected_value_saved: float | None
    is_action_funded: bool | None
    recommended_contact_date: date | None
    as_of_date: date


# The columns of customer_scores the API returns: the response model's fields, named as in the mart.
SCORE_COLUMNS = list(CustomerScores.model_fields)


class LiveScores(BaseModel):
    """Scores recomputed since the publication from the customer's live orders and events, with the registered
    models, as the next batch build will publish them. RFM, CLV, churn, segment and action are null for a
    customer without a completed order; churn when no churn model is registered. Churn, engagement, value,
    segment and action are null for a customer with a live event older than their published web history
    (the next build scores them)."""

    as_of_date: date
    scored_at: datetime
    model_versions: dict[str, int]
    live_orders: int = Field(description="The customer's live orders (as stored, valid or not) these scores include")
    live_events: int = Field(description="The customer's live web events these scores include")
    recency_days: int | None = None
    frequency: int | None = None
    monetary: float | None = None
    avg_order_value: float | None = None
    tenure_days: int | None = None
    rfm_segment: str | None = None
    p_alive: float | None = None
    expected_purchases_30d: float | None = None
    expected_purchases_90d: float | None = None
    expected_purchases_365d: float | None = None
    expected_order_value: float | None = None
    clv_3m: float | None = None
    clv_6m: float | None = None
    clv_12m: float | None = None
    purchase_probability: float | None = None
    days_to_next_order: float | None = None
    days_between_orders: float | None = None
    observed_days_between_orders: float | None = None
    clv_decile: int | None = None
    churn_probability: float | None = None
    risk_tier: str | None = None
    churn_drivers: list[str] | None = None
    median_days_to_churn: float | None = None
    survival_30d: float | None = None
    survival_90d: float | None = None
    engagement_score: float | None = None
    value_score: float | None = None
    is_high_value: bool | None = None
    segment_name: str | None = None
    next_best_action: str | None = None
    expected_value_saved: float | None = None


class CustomerDetail(CustomerScores):
    churn_drivers: list[str]
    median_days_to_churn: float | None
    survival_90d: float | None
    segment_description: str | None
    live: LiveScores | None


class CustomerPage(BaseModel):
    items: list[CustomerScores]
    total: int
    limit: int
    offset: int


class Metric(BaseModel):
    model_name: str
    metric_name: str
    metric_value: float | None


class ModelStatus(BaseModel):
    model_family: str
    model_name: str
    status: Literal["fitted", "skipped"]
    is_selected: bool
    validation: str | None
    reason: str | None
    requirement: str | None


class ModelMetrics(BaseModel):
    clv: list[Metric]
    churn: list[Metric]
    value_score: list[Metric]
    value_forecast: list[Metric] = Field(
        description="The value forecast's back-test beside the value score, engagement, RFM and CLV "
        "(model_name: the ranking)"
    )
    model_status: list[ModelStatus]


class Health(BaseModel):
    status: str
    invocation_id: str
    published_at: datetime


class Rejection(BaseModel):
    index: int
    id: str | None
    reason: str


class IngestResult(BaseModel):
    stored: int
    already_stored: int
    rejected: list[Rejection]


# Items per POST: a bound on one request's memory and on the time its lock on the log is held.
MAX_ITEMS = 10_000

API_KEY = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="One of CUSTOMER_SCORING_API_KEYS (GET routes) or CUSTOMER_SCORING_INGEST_KEYS (POST routes).",
)


def _key_in(key: str | None, valid_keys: list[bytes]) -> None:
    # compare_digest refuses non-ASCII str, so bytes are compared: Starlette decoded the header as latin-1,
    # which gives back the bytes the client sent, and the keys are held as UTF-8.
    if key is None or not any(secrets.compare_digest(key.encode("latin-1"), valid) for valid in valid_keys):
        raise HTTPException(401, "missing or invalid API key", headers={"WWW-Authenticate": "X-API-Key"})


def authorized(request: Request, key: Annotated[str | None, Security(API_KEY)]) -> None:
    _key_in(key, request.app.state.api_keys)


def ingest_authorized(request: Request, key: Annotated[str | None, Security(API_KEY)]) -> None:
    _key_in(key, request.app.state.ingest_keys)


class Warehouse:
    """Cursors on the current publication; opens the new file when the one behind the path is replaced."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._inode: int | None = None
        self._connection: duckdb.DuckDBPyConnection | None = None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        try:
            inode = self.path.stat().st_ino
        except FileNotFoundError:
            raise HTTPException(503, f"no publication at {self.path} yet: run `make build`") from None
        with self._lock:
            if inode != self._inode:
                # Dropping the old connection closes its database once the cursors of the requests still
                # reading it are closed.
                self._connection = self._open()
                self._inode = inode
            cursor = self._connection.cursor()
        # A cursor starts in the in-memory database, not in the one its connection USEs.
        cursor.execute("use published")
        return cursor

    def file_id(self) -> int | None:
        """The inode of the publication behind the path now (None without one): a new publication, a new id."""
        try:
            return self.path.stat().st_ino
        except FileNotFoundError:
            return None

    def _open(self) -> duckdb.DuckDBPyConnection:
        # duckdb.connect(path) hands back the cached database of the replaced file while any connection to it
        # lives; an in-memory database is never shared, and ATTACH opens the file the path names now.
        # One thread a query: the requests and the live scorer run side by side, and their queries are small.
        connection = duckdb.connect(config={"threads": 1})
        try:
            connection.execute("attach ? as published (read_only)", [str(self.path)])
        except duckdb.IOException as error:
            # Most often a reader that opened the file read-write: its lock holds until it closes the file.
            raise HTTPException(503, f"cannot open the publication: {str(error).splitlines()[0]}") from None
        return connection

    def records(self, sql: str, parameters: list | dict | None = None) -> list[dict]:
        with self.cursor() as cursor:
            cursor.execute(sql, parameters or [])
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class LiveScoring:
    """The live scorer (`customer_scoring.live.LiveScorer`) following the live logs in a thread of the process
    that makes it. The API makes it in a process of its own (`_LiveScoringManager`) and reads its scores
    through a proxy, so that scoring and requests do not take turns on one interpreter lock; that process
    ends when the API's does, even when the API is killed."""

    def __init__(self, warehouse_path: Path, raw_dir: Path, settings: LiveSettings):
        warehouse = Warehouse(warehouse_path)
        self._scorer = LiveScorer(raw_dir, warehouse.cursor, warehouse.file_id, settings)
        self._stop = threading.Event()
        self._parent = os.getppid()
        threading.Thread(target=self._scorer.run, args=(self._stop,), name="live-scoring", daemon=True).start()
        threading.Thread(target=self._follow_parent, name="live-scoring-parent", daemon=True).start()

    def _follow_parent(self) -> None:
        while not self._stop.wait(1):
            if os.getppid() != self._parent:  # the API is gone without stopping us
                os._exit(0)

    def scores(self, customer_id: str) -> dict | None:
        return self._scorer.scores(customer_id)

    def stop(self) -> None:
        self._stop.set()


class _LiveScoringManager(BaseManager):
    """A process serving one `LiveScoring` to the API."""


_LiveScoringManager.register("LiveScoring", LiveScoring)


def create_app(
    warehouse_path: Path,
    api_keys: list[str],
    ingest_keys: list[str],
    raw_dir: Path,
    live_settings: LiveSettings,
) -> FastAPI:
    """The app over the publication at `warehouse_path`; live scores follow the live logs under `raw_dir`, with
    the settings the batch scores with (`live_settings`: dbt vars)."""
    api_keys = [key for key in api_keys if key]
    ingest_keys = [key for key in ingest_keys if key]
    if not api_keys:
        raise ValueError("the API needs at least one non-empty API key (CUSTOMER_SCORING_API_KEYS)")
    if set(api_keys) & set(ingest_keys):
        raise ValueError("an ingest key (CUSTOMER_SCORING_INGEST_KEYS) must not also be a read key")
    warehouse = Warehouse(warehouse_path)
    intake = Intake(raw_dir) if ingest_keys else None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        manager = _LiveScoringManager(ctx=multiprocessing.get_context("spawn"))
        manager.start()
        app.state.live = manager.LiveScoring(warehouse_path, raw_dir, live_settings)
        yield
        app.state.live.stop()
        manager.shutdown()

    # /docs with Swagger UI's files from the fastapi-offline package instead of a CDN; no ReDoc.
    app = FastAPIOffline(
        lifespan=lifespan,
        redoc_url=None,
        title="customer-scoring API",
        summary="Customer scores from the published warehouse: CLV, churn risk, segments, next best actions.",
        version="1.0.0",
        # Swagger UI's default validator badge is an image from validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.api_keys = [key.encode() for key in api_keys]
    app.state.ingest_keys = [key.encode() for key in ingest_keys]
    secured = [Depends(authorized)]

    @app.get("/health", response_model=Health, summary="The publication being served (no key needed)")
    def health() -> dict:
        rows = warehouse.records("select invocation_id, max(published_at) as published_at from publication group by 1")
        return {"status": "ok", **rows[0]}

    @app.get("/customers/{customer_id}", response_model=CustomerDetail, dependencies=secured)
    def customer(customer_id: str) -> dict:
        """Every score of one customer, with the top three churn drivers, and under `live` the scores its orders
        and events since the publication moved (null without such rows)."""
        rows = warehouse.records(
            f"""select {", ".join(SCORE_COLUMNS)}, churn_driver_1, churn_driver_2, churn_driver_3,
                median_days_to_churn, survival_90d, segment_description
            from customer_scores where customer_id = $id""",
            {"id": customer_id},
        )
        if not rows:
            raise HTTPException(404, f"no customer {customer_id!r}")
        drivers = [rows[0].pop(f"churn_driver_{rank}") for rank in (1, 2, 3)]
        live = app.state.live.scores(customer_id)
        return {**rows[0], "churn_drivers": [driver for driver in drivers if driver], "live": live}

    @app.get("/customers", response_model=CustomerPage, dependencies=secured)
    def customers(
        segment: Annotated[str | None, Query(description="Segment name, as in customer_segment_profiles")] = None,
        risk_tier: RiskTier | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        # DuckDB's OFFSET is a BIGINT.
        offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    ) -> dict:
        """Customers filtered by segment and risk tier, highest 12-month CLV first, a page at a time."""
        where = "where (? is null or segment_name = ?) and (? is null or risk_tier = ?)"
        filters = [segment, segment, risk_tier, risk_tier]
        (total,) = warehouse.records(f"select count(*) as n from customer_scores {where}", filters)[0].values()
        items = warehouse.records(
            f"""select {", ".join(SCORE_COLUMNS)} from customer_scores {where}
            order by clv_12m desc nulls last, customer_id limit ? offset ?""",
            [*filters, limit, offset],
        )
        return {"items": items, "total": total, "limit": limit, "offset": offset}

    @app.get("/metrics", response_model=ModelMetrics, dependencies=secured)
    def metrics() -> dict:
        """Validation metrics of the CLV and churn models, the value score and the value forecast, and which models
        were fitted (a model the data could not fit or validate is `skipped`, with the reason and the data it
        needs)."""
        return {
            "clv": warehouse.records(
                "select model_name, metric_name, metric_value from clv_model_metrics order by 1, 2"
            ),
            "churn": warehouse.records(
                "select model_name, metric_name, metric_value from churn_model_metrics order by 1, 2"
            ),
            "value_score": warehouse.records(
                "select 'value_score' as model_name, metric_name, metric_value "
                "from customer_value_score_metrics order by 2"
            ),
            "value_forecast": warehouse.records(
                "select ranking as model_name, metric_name, metric_value from value_forecast_metrics order by 1, 2"
            ),
            "model_status": warehouse.records(
                f"select {', '.join(ModelStatus.model_fields)} from model_status order by 1, 2"
            ),
        }

    def ingest(source: str, items: list[RawItem]) -> dict:
        rows = [item.model_dump() for item in items]
        outcomes = intake.accept(source, rows)
        id_column = ID_COLUMNS[source]
        return {
            "stored": sum(outcome.status == "stored" for outcome in outcomes),
            "already_stored": sum(outcome.status == "already_stored" for outcome in outcomes),
            "rejected": [
                {"index": index, "id": rows[index][id_column], "reason": outcome.reason}
                for index, outcome in enumerate(outcomes)
                if outcome.status == "rejected"
            ],
        }

    ingest_secured = [Depends(ingest_authorized)]

    @app.post("/orders", response_model=IngestResult, dependencies=ingest_secured)
    def orders(items: Annotated[list[RawOrder], Body(max_length=MAX_ITEMS)]) -> dict:
        """Orders, checked as staging checks them: each one that passes is on disk before the response (an
        order id is stored once, so a retry is safe); each one that fails comes back with its reason. The next
        batch build reads the stored orders."""
        return ingest("orders", items)

    @app.post("/events", response_model=IngestResult, dependencies=ingest_secured)
    def events(items: Annotated[list[RawEvent], Body(max_length=MAX_ITEMS)]) -> dict:
        """Web events, as `POST /orders` takes orders (an event id is stored once)."""
        return ingest("web_events", items)

    return app


def _keys(variable: str) -> list[str]:
    return [key.strip() for key in os.environ.get(variable, "").split(",")]


def create_app_from_env() -> FastAPI:
    """The app as `make api` starts it, in the project directory (its dbt_project.yml holds the vars live scoring
    reads): CUSTOMER_SCORING_PUBLISHED, CUSTOMER_SCORING_API_KEYS, CUSTOMER_SCORING_RAW_DIR, and for the POST
    routes CUSTOMER_SCORING_INGEST_KEYS."""
    return create_app(
        Path(os.environ.get("CUSTOMER_SCORING_PUBLISHED", "data/warehouse.duckdb")),
        _keys("CUSTOMER_SCORING_API_KEYS"),
        _keys("CUSTOMER_SCORING_INGEST_KEYS"),
        Path(os.environ.get("CUSTOMER_SCORING_RAW_DIR", "data/raw")),
        LiveSettings.from_project(Path(".")),
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    uvicorn.run("customer_scoring.api:create_app_from_env", factory=True, host=args.host, port=args.port)


if __name__ == "__main__":
    sys.exit(run_module(sys.modules[__name__]))
