"""Live scores: the customers whose orders landed in the live logs after the publication, scored again with
the publication's registered models as soon as the orders land, whichever process landed them.

A `LiveScorer` follows the live logs (`customer_scoring.ingest`) and, for every customer with a live
order, recomputes what the next batch build will publish for them from the same data and the same
registered versions: the RFM measures (recency, frequency, monetary value, tenure) and the CLV scores
(p_alive, expected purchases, CLV; `customer_scoring.clv.pipeline.score`, the batch's own function).
It judges live orders as int_orders_validated does (a customer of the CRM, not before the signup, an id
not published before) and computes as of the date the batch will: the latest of the publication's
as-of date and the live orders' and events' dates. Scores that rank a customer among all the others
(quintiles, deciles) change for everyone with each order and are left to the batch.

A new publication resets the scorer: live orders it holds are scored by the batch from then on.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from customer_scoring.clv.pipeline import FAMILY, SCORE_COLUMNS, ClvVersion, score
from customer_scoring.ingest import LIVE_SCHEMAS, log_path, staged_id

# The RFM measures and CLV scores a live score holds, named as in customer_rfm and customer_clv.
RFM_COLUMNS = ["recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"]
# customer_clv's per-customer values: its decile ranks a customer among all and is left to the batch.
CLV_COLUMNS = [
    column for column in SCORE_COLUMNS if column not in ("customer_id", "clv_decile", "clv_model", "as_of_date")
]

# A customer's orders, the publication's and the live ones that pass int_orders_validated's checks
# ($as_of: the live as-of date); then the RFM measures (customer_rfm) and the full snapshot's
# buy-till-you-die summary (int_clv_summary_by_snapshot) of each customer with a completed order.
SUMMARY_SQL = """
with

live as (
    select
        nullif(trim(live_orders.order_id), '') as order_id,
        nullif(trim(live_orders.customer_id), '') as customer_id,
        cast(try_cast(live_orders.order_ts as timestamp) as date) as order_date,
        try_cast(trim(live_orders.amount) as decimal(18, 2)) as amount,
        lower(trim(live_orders.status)) = 'completed' as is_revenue
    from live_orders
),

published_orders as (
    select order_id, customer_id, order_date, amount, is_revenue
    from published.fct_orders
    where customer_id in (select customer_id from live)
),

valid_live as (
    select live.*
    from live
    inner join published.dim_customers as customers on live.customer_id = customers.customer_id
    where live.order_date >= customers.signup_date
        and live.order_id not in (select order_id from published_orders)
),

valid_events as (
    select cast(try_cast(live_events.event_ts as timestamp) as date) as event_date
    from live_events
    left join published.dim_customers as customers
        on nullif(trim(live_events.customer_id), '') = customers.customer_id
    where nullif(trim(live_events.customer_id), '') is null or customers.customer_id is not null
),

as_of as (
    select greatest(
        cast($as_of as date),
        coalesce((select max(order_date) from valid_live), cast($as_of as date)),
        coalesce((select max(event_date) from valid_events), cast($as_of as date))
    ) as as_of_date
),

revenue_orders as (
    select orders.*
    from (
        select customer_id, order_date, amount, is_revenue from published_orders
        union all
        select customer_id, order_date, amount, is_revenue from valid_live
    ) as orders
    where orders.is_revenue
),

rfm as (
    select
        revenue_orders.customer_id,
        cast(date_diff('day', max(revenue_orders.order_date), any_value(as_of.as_of_date)) as integer)
            as rfm_recency_days,
        cast(count(*) as integer) as rfm_frequency,
        cast(sum(revenue_orders.amount) as decimal(18, 2)) as rfm_monetary,
        -- round_to_cents of the mean, as customer_rfm rounds it
        cast(cast(round(avg(revenue_orders.amount) * 100) as decimal(18, 0)) * 0.01 as decimal(18, 2))
            as rfm_avg_order_value,
        cast(date_diff('day', min(revenue_orders.order_date), any_value(as_of.as_of_date)) as integer)
            as rfm_tenure_days
    from revenue_orders
    cross join as_of
    group by revenue_orders.customer_id
),

purchase_days as (
    select
        customer_id,
        order_date as purchase_date,
        sum(amount) as revenue,
        row_number() over (partition by customer_id order by order_date) as purchase_number
    from revenue_orders
    group by customer_id, order_date
),

summary as (
    select
        purchase_days.customer_id,
        min(purchase_days.purchase_date) as first_purchase_date,
        cast(count(*) - 1 as integer) as frequency,
        cast(date_diff('day', min(purchase_days.purchase_date), max(purchase_days.purchase_date)) as integer)
            as recency_days,
        cast(date_diff('day', min(purchase_days.purchase_date), any_value(as_of.as_of_date)) as integer) as age_days,
        cast(avg(case when purchase_days.purchase_number > 1 then purchase_days.revenue end) as double)
            as monetary_value,
        cast(sum(purchase_days.revenue) as double) as total_revenue
    from purchase_days
    cross join as_of
    group by purchase_days.customer_id
)

-- One row with only the as-of date when no customer has a completed order.
select 'full' as snapshot_name, as_of.as_of_date as snapshot_date, scored.*
from as_of
left join (
    select summary.*, rfm.* exclude (customer_id)
    from summary
    inner join rfm on summary.customer_id = rfm.customer_id
) as scored on true
order by scored.customer_id
"""


class LogReader:
    """The complete lines appended to a live log since the last read (a line being written waits)."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0

    def read(self) -> list[dict]:
        try:
            with self.path.open("rb") as file:
                file.seek(self.offset)
                data = file.read()
        except FileNotFoundError:
            return []
        complete = data[: data.rfind(b"\n") + 1]
        self.offset += len(complete)
        return [json.loads(line) for line in complete.splitlines() if line]


class LiveScorer:
    """Live scores of the customers with live orders. `cursor` opens the current publication (attached as
    `published`) and `publication_id` names it: a new one resets the scorer."""

    def __init__(
        self,
        raw_dir: Path,
        cursor: Callable[[], duckdb.DuckDBPyConnection],
        publication_id: Callable[[], object],
        annual_discount_rate: float,
    ):
        self.raw_dir = Path(raw_dir)
        self.cursor = cursor
        self.publication_id = publication_id
        self.annual_discount_rate = annual_discount_rate
        self._lock = threading.Lock()
        self._publication = None
        self._scores: dict[str, dict] = {}

    def _reset(self, publication) -> None:
        self._publication = publication
        self._readers = {source: LogReader(log_path(self.raw_dir, source)) for source in LIVE_SCHEMAS}
        self._orders: dict[str, list[dict]] = defaultdict(list)
        self._scores = {}
        self._loaded = False

    def _load_publication(self) -> None:
        """The publication's as-of date and registered versions: read once there is something to score, so that
        a scorer without live rows never opens the publication."""
        with self.cursor() as cursor:
            (self._as_of,) = cursor.execute("select max(as_of_date) from customer_scores").fetchone()
            registry = cursor.execute(
                "select model_family, model_version, artifact from model_registry where is_current"
            )
            versions = registry.df()
        self._versions = dict(zip(versions["model_family"], versions["model_version"].astype(int), strict=True))
        self._clv = ClvVersion.from_registry(versions[versions["model_family"] == FAMILY])
        self._loaded = True

    def refresh(self) -> int:
        """Read what landed since the last refresh and score the customers it touched (all live customers when
        the as-of date moved); returns how many were scored."""
        with self._lock:
            publication = self.publication_id()
            if publication != self._publication:
                self._reset(publication)
            orders = self._readers["orders"].read()
            events = self._readers["web_events"].read()
            touched = {staged_id(row["customer_id"]) for row in orders}
            for row in orders:
                self._orders[staged_id(row["customer_id"])].append(row)
            if not (touched or events):
                return 0
            if not self._loaded:
                self._load_publication()
            as_of = self._score(touched, events)
            if as_of == self._as_of:
                return len(touched)
            # A later as-of date ages every live customer, not only those of the new orders.
            self._as_of = as_of
            self._score(set(self._orders), [])
            return len(self._orders)

    def _score(self, customers: set[str], events: list[dict]) -> date:
        """Score `customers`, with `events` the new live events; returns the as-of date they were scored at."""
        rows = [row for customer in sorted(customers) for row in self._orders[customer]]
        with self.cursor() as cursor:
            cursor.register("live_orders", pa.Table.from_pylist(rows, schema=LIVE_SCHEMAS["orders"]))
            cursor.register("live_events", pa.Table.from_pylist(events, schema=LIVE_SCHEMAS["web_events"]))
            summary = cursor.execute(SUMMARY_SQL, {"as_of": self._as_of}).df()
        as_of = summary["snapshot_date"].iloc[0].date()
        summary = summary.dropna(subset=["customer_id"]).reset_index(drop=True)
        if summary.empty:
            # Only orders staging will quarantine (a customer the CRM does not know), or cancelled ones.
            return as_of
        clv = score(summary, self._clv, self.annual_discount_rate)[["customer_id", *CLV_COLUMNS]]
        # The summary's frequency and recency are the purchase model's; the RFM measures come prefixed.
        rfm = summary[["customer_id", *(f"rfm_{column}" for column in RFM_COLUMNS)]]
        rfm = rfm.rename(columns=lambda column: column.removeprefix("rfm_"))
        scores = rfm.merge(clv, on="customer_id", how="left")
        scores = scores.astype(object).where(scores.notna(), None)
        scored_at = datetime.now(UTC)
        for row in scores.to_dict("records"):
            row |= {"as_of_date": as_of, "scored_at": scored_at, "model_versions": self._versions}
            self._scores[row.pop("customer_id")] = row
        return as_of

    def scores(self, customer_id: str) -> dict | None:
        return self._scores.get(customer_id)

    def run(self, stop: threading.Event, interval: float = 0.1) -> None:
        """Refresh until `stop` is set (the API runs this in a thread of its own)."""
        while not stop.is_set():
            try:
                self.refresh()
            except Exception as error:  # a bad moment (a publication being swapped) must not end the loop
                print(f"live scoring: {error}", flush=True)
                # Start over on the next refresh: the rows read this time are scored then.
                self._publication = object()
                stop.wait(1)
            stop.wait(interval)
