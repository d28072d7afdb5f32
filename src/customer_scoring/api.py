"""The scoring API: read-only HTTP access to the published warehouse.

    CUSTOMER_SCORING_API_KEYS=secret1,secret2 uvicorn --factory customer_scoring.api:create_app_from_env

Every route but /health needs an `X-API-Key` header holding one of the keys (else 401). Each request
reads through a cursor on the current publication: when a new one is swapped in (see
`customer_scoring.publish`), the next request opens it, while requests already running finish on the
old file. While the file cannot be opened (a reader holding it read-write locks it), requests get 503.
Swagger UI at /docs is served from the API itself, so it works without a network.
"""

from __future__ import annotations

import os
import secrets
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal

import duckdb
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Security
from fastapi.security import APIKeyHeader
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel

RiskTier = Literal["low", "medium", "high", "critical", "lapsed"]


class CustomerScores(BaseModel):
    customer_id: str
    engagement_score: float
    value_score: float
    is_high_value: bool
    rfm_segment: str | None
    p_alive: float | None
    clv_12m: float | None
    clv_decile: int | None
    churn_probability: float | None
    risk_tier: RiskTier | None
    segment_name: str | None
    next_best_action: str | None
    expected_value_saved: float | None
    is_action_funded: bool | None
    as_of_date: date


# The columns of customer_scores the API returns: the response model's fields, named as in the mart.
SCORE_COLUMNS = list(CustomerScores.model_fields)


class CustomerDetail(CustomerScores):
    churn_drivers: list[str]
    median_days_to_churn: float | None
    survival_90d: float | None
    segment_description: str | None


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
    model_status: list[ModelStatus]


class Health(BaseModel):
    status: str
    invocation_id: str
    published_at: datetime


API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="One of CUSTOMER_SCORING_API_KEYS.")


def authorized(request: Request, key: Annotated[str | None, Security(API_KEY)]) -> None:
    # compare_digest refuses non-ASCII str, so bytes are compared: Starlette decoded the header as latin-1,
    # which gives back the bytes the client sent, and the keys are held as UTF-8.
    if key is None or not any(
        secrets.compare_digest(key.encode("latin-1"), valid) for valid in request.app.state.api_keys
    ):
        raise HTTPException(401, "missing or invalid API key", headers={"WWW-Authenticate": "X-API-Key"})


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

    def _open(self) -> duckdb.DuckDBPyConnection:
        # duckdb.connect(path) hands back the cached database of the replaced file while any connection to it
        # lives; an in-memory database is never shared, and ATTACH opens the file the path names now.
        connection = duckdb.connect()
        try:
            connection.execute("attach ? as published (read_only)", [str(self.path)])
        except duckdb.IOException as error:
            # Most often a reader that opened the file read-write: its lock holds until it closes the file.
            raise HTTPException(503, f"cannot open the publication: {str(error).splitlines()[0]}") from None
        return connection

    def records(self, sql: str, parameters: list | None = None) -> list[dict]:
        with self.cursor() as cursor:
            cursor.execute(sql, parameters or [])
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def create_app(warehouse_path: Path, api_keys: list[str]) -> FastAPI:
    api_keys = [key for key in api_keys if key]
    if not api_keys:
        raise ValueError("the API needs at least one non-empty API key (CUSTOMER_SCORING_API_KEYS)")
    warehouse = Warehouse(warehouse_path)
    # /docs with Swagger UI's files from the fastapi-offline package instead of a CDN; no ReDoc.
    app = FastAPIOffline(
        redoc_url=None,
        title="customer-scoring API",
        summary="Customer scores from the published warehouse: CLV, churn risk, segments, next best actions.",
        version="1.0.0",
        # Swagger UI's default validator badge is an image from validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.api_keys = [key.encode() for key in api_keys]
    secured = [Depends(authorized)]

    @app.get("/health", response_model=Health, summary="The publication being served (no key needed)")
    def health() -> dict:
        rows = warehouse.records("select invocation_id, max(published_at) as published_at from publication group by 1")
        return {"status": "ok", **rows[0]}

    @app.get("/customers/{customer_id}", response_model=CustomerDetail, dependencies=secured)
    def customer(customer_id: str) -> dict:
        """Every score of one customer, with the top three churn drivers."""
        rows = warehouse.records(
            f"""select {", ".join(f"s.{column}" for column in SCORE_COLUMNS)},
                r.driver_1, r.driver_2, r.driver_3,
                r.median_days_to_churn, r.survival_90d, g.segment_description
            from customer_scores as s
            left join customer_churn_risk as r on s.customer_id = r.customer_id
            left join customer_segments as g on s.customer_id = g.customer_id
            where s.customer_id = ?""",
            [customer_id],
        )
        if not rows:
            raise HTTPException(404, f"no customer {customer_id!r}")
        drivers = [rows[0].pop(f"driver_{rank}") for rank in (1, 2, 3)]
        return {**rows[0], "churn_drivers": [driver for driver in drivers if driver]}

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
        """Validation metrics of the CLV and churn models and the value score, and which models were fitted
        (a model the data could not fit or validate is `skipped`, with the reason and the data it needs)."""
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
            "model_status": warehouse.records(
                f"select {', '.join(ModelStatus.model_fields)} from model_status order by 1, 2"
            ),
        }

    return app


def create_app_from_env() -> FastAPI:
    """The app as `make api` starts it: CUSTOMER_SCORING_PUBLISHED and CUSTOMER_SCORING_API_KEYS."""
    path = Path(os.environ.get("CUSTOMER_SCORING_PUBLISHED", "data/warehouse.duckdb"))
    return create_app(path, [key.strip() for key in os.environ.get("CUSTOMER_SCORING_API_KEYS", "").split(",")])
