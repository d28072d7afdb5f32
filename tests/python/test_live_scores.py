"""Live scores equal the batch's: a day of orders and events posted to the API moves the touched customers'
live scores, and the next batch build, on the same data with the same registered models, publishes the same
values for them."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest
from conftest import PROJECT_DIR
from test_api import serve
from test_api_ingest import INGEST_KEY, ingest_env

from customer_scoring.api import Warehouse
from customer_scoring.ingest import Intake
from customer_scoring.live import CHURN_COLUMNS, CLV_COLUMNS, RFM_COLUMNS, LiveScorer, LiveSettings

# customer_scores' columns that rank a customer among all, and the segment and action chosen from them.
BUYER_RANKED_COLUMNS = ["rfm_segment", "clv_decile"]
RANKED_COLUMNS = ["engagement_score", "value_score"]
CHOSEN_COLUMNS = ["is_high_value", "segment_name", "next_best_action", "expected_value_saved"]
# Customers the day's orders go to: buyers, and customers who had never bought before.
BUYERS, FIRST_BUYERS = 40, 5
# Buyers with web history who order nothing that day but visit: those whose last event is latest.
VISITORS_SQL = """
select customer_id from customer_recent_web_activity
where customer_id not in (select unnest(?)) and customer_id in (select customer_id from customer_rfm)
group by customer_id order by max(last_event_at) desc, customer_id limit 5
"""
LAST_EVENTS_SQL = """
select customer_id, max(last_event_at) from customer_recent_web_activity
where customer_id in (select unnest(?)) group by customer_id order by customer_id
"""


def published_rows(path, sql: str, parameters=None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, parameters or []).fetchall()


@pytest.fixture(scope="module")
def live_day(published, dataset, tmp_path_factory):
    """A day after the as-of date posted live: per touched customer, the live scores the API served."""
    (as_of,) = published_rows(published, "select max(as_of_date) from customer_scores")[0]
    day = as_of + timedelta(days=1)
    buyers = [
        row[0]
        for row in published_rows(
            published, "select customer_id from dim_customers where is_buyer order by customer_id limit ?", [BUYERS]
        )
    ]
    first_buyers = [
        row[0]
        for row in published_rows(
            published,
            "select customer_id from dim_customers where not is_buyer and signup_date < ? order by customer_id limit ?",
            [as_of, FIRST_BUYERS],
        )
    ]
    raw = tmp_path_factory.mktemp("live") / "raw"
    raw.mkdir()
    for path in dataset["raw"].glob("*.parquet"):
        (raw / path.name).symlink_to(path)
    orders = [
        {"order_id": f"live-{k}", "customer_id": customer, "order_ts": f"{day} {8 + k % 12:02d}:15:00"}
        | {"amount": round(5 + 3.37 * k, 2), "currency": "USD", "status": "completed"}
        for k, customer in enumerate(buyers + first_buyers + buyers[:10])
    ]
    # Orders that move nothing: cancelled, from a customer the CRM does not know.
    orders += [
        {"order_id": "live-cancelled", "customer_id": buyers[0], "order_ts": f"{day} 23:00:00", "amount": 9.0}
        | {"currency": "USD", "status": "cancelled"},
        {"order_id": "live-stranger", "customer_id": "nobody", "order_ts": f"{day} 23:00:00", "amount": 9.0}
        | {"currency": "USD", "status": "completed"},
    ]
    page = {"event_type": "page_view", "event_target": "/pricing"}
    events = [
        {"event_id": f"live-e{k}", "customer_id": customer, "event_ts": f"{day} 09:{k:02d}:00"}
        | page
        | {"duration_seconds": 20 + k}
        for k, customer in enumerate([*buyers[:20], None])
    ]
    # A feature click beside the page view (the same session), and one an hour later (a new session).
    events += [
        {"event_id": f"live-s{k}-{hour}", "customer_id": customer, "event_ts": f"{day} {hour}:{k:02d}:00"}
        | {"event_type": "feature_click", "event_target": "export", "duration_seconds": 7}
        for k, customer in enumerate(buyers[:5])
        for hour in (9, 10)
    ]
    visitors = [row[0] for row in published_rows(published, VISITORS_SQL, [buyers])]
    # Buyers who order nothing that day but visit: 10 minutes after their last published event, continuing
    # that session.
    events += [
        {"event_id": f"live-v{k}", "customer_id": customer, "event_ts": str(last_event_at + timedelta(minutes=10))}
        | page
        | {"duration_seconds": 30}
        for k, (customer, last_event_at) in enumerate(published_rows(published, LAST_EVENTS_SQL, [visitors]))
    ]
    touched = buyers + first_buyers + visitors
    # What each customer's live scores must include before they are read: all the rows posted for them.
    posted = {customer: Counter() for customer in touched}
    for source, rows in [("live_orders", orders), ("live_events", events)]:
        for row in rows:
            if row["customer_id"] in posted:
                posted[row["customer_id"]][source] += 1
    with serve(published, env=ingest_env(raw)) as (client, _):
        writer = {"X-API-Key": INGEST_KEY}
        assert client.post("/orders", json=orders, headers=writer).json()["stored"] == len(orders)
        assert client.post("/events", json=events, headers=writer).json()["stored"] == len(events)
        # Ranks are among everyone: the scores are final once every customer's include all their rows.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            live = {customer: client.get(f"/customers/{customer}").json()["live"] for customer in touched}
            if all(
                scores is not None and all(scores[source] == n for source, n in posted[customer].items())
                for customer, scores in live.items()
            ):
                break
            time.sleep(0.05)
        assert client.get("/customers/nobody").status_code == 404
    posts = {"posted": posted, "orders": orders, "events": events}
    return {"day": day, "raw": raw, "live": live, "touched": touched} | posts


def test_every_touched_customer_gets_live_scores_as_of_the_new_day(live_day, published):
    for customer, scores in live_day["live"].items():
        assert scores is not None and all(scores[source] == n for source, n in live_day["posted"][customer].items())
    ((clv_version,),) = published_rows(
        published, "select model_version from model_registry where is_current and model_family = 'clv'"
    )
    first = live_day["live"][live_day["touched"][0]]
    assert first["model_versions"]["clv"] == clv_version and first["recency_days"] == 0
    for customer in live_day["touched"][BUYERS : BUYERS + FIRST_BUYERS]:
        assert live_day["live"][customer]["frequency"] == 1


def test_the_next_batch_publishes_the_live_scores(live_day, warehouse, dbt, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, path)
    dbt(["build"], live_day["raw"], path)
    with duckdb.connect(str(path), read_only=True) as con:
        # The same registered models: no trigger fired for a day's data.
        assert con.execute("select bool_or(is_refit) from model_retrain_decisions").fetchone() == (False,)
        rows = con.execute(
            f"""select rfm.customer_id, rfm.as_of_date, {", ".join(f"rfm.{c}" for c in RFM_COLUMNS)},
                {", ".join(f"clv.{c}" for c in CLV_COLUMNS)}, scores.churn_probability, scores.risk_tier,
                {", ".join(f"scores.{c}" for c in BUYER_RANKED_COLUMNS + RANKED_COLUMNS + CHOSEN_COLUMNS)},
                [risk.driver_1, risk.driver_2, risk.driver_3] as churn_drivers,
                {", ".join(f"risk.{c}" for c in CHURN_COLUMNS if c.startswith(("median_", "survival_")))}
            from customer_rfm as rfm
            inner join customer_clv as clv on rfm.customer_id = clv.customer_id
            inner join customer_scores as scores on rfm.customer_id = scores.customer_id
            left join customer_churn_risk as risk on rfm.customer_id = risk.customer_id
            where rfm.customer_id in (select unnest(?))""",
            [live_day["touched"]],
        ).df()
    assert len(rows) == len(live_day["touched"])
    for batch in rows.to_dict("records"):
        customer = batch["customer_id"]
        live = live_day["live"][customer]
        assert batch["as_of_date"].date() == live_day["day"] == date.fromisoformat(live["as_of_date"])
        for column in RFM_COLUMNS:
            assert float(batch[column]) == live[column], (customer, column)
        for column in CLV_COLUMNS:
            expected = None if pd.isna(batch[column]) else pytest.approx(batch[column], rel=1e-9, abs=0)
            assert live[column] == expected, (customer, column)
        assert (live["risk_tier"], live["churn_drivers"]) == (batch["risk_tier"], list(batch["churn_drivers"])), (
            customer
        )
        for column in ["churn_probability", *CHURN_COLUMNS[3:], *RANKED_COLUMNS, "expected_value_saved"]:
            assert live[column] == pytest.approx(batch[column], rel=1e-9, abs=0, nan_ok=True), (customer, column)
        for column in [*BUYER_RANKED_COLUMNS, "is_high_value", "segment_name", "next_best_action"]:
            assert live[column] == batch[column], (customer, column)


def test_live_scores_do_not_depend_on_how_refreshes_split_the_rows(live_day, published, tmp_path):
    """Ranks are among everyone: a customer scored on an earlier refresh is ranked again when later rows of others
    move the ranking, so the scores equal those of one refresh that read every row."""
    warehouse = Warehouse(published)
    settings = LiveSettings.from_project(PROJECT_DIR)
    scorers = {}
    for name, refresh_after_orders in [("one refresh", False), ("a refresh per post", True)]:
        raw = tmp_path / name
        intake = Intake(raw)
        scorers[name] = LiveScorer(raw, warehouse.cursor, warehouse.file_id, settings)
        intake.accept("orders", live_day["orders"])
        if refresh_after_orders:
            scorers[name].refresh()
        intake.accept("web_events", live_day["events"])
        scorers[name].refresh()

    def scores(scorer: LiveScorer, customer: str) -> dict:
        return {column: value for column, value in scorer.scores(customer).items() if column != "scored_at"}

    for customer in live_day["touched"]:
        assert scores(scorers["a refresh per post"], customer) == scores(scorers["one refresh"], customer), customer


def test_orders_that_move_nothing_leave_the_published_scores(published, tmp_path):
    intake = Intake(tmp_path)
    (buyer, frequency, monetary) = published_rows(
        published, "select customer_id, frequency, monetary from customer_rfm order by customer_id limit 1"
    )[0]
    warehouse = Warehouse(published)
    scorer = LiveScorer(tmp_path, warehouse.cursor, warehouse.file_id, LiveSettings.from_project(PROJECT_DIR))
    order = {"order_ts": "2025-12-31 09:00:00", "amount": "9.00", "currency": "USD"}
    # An order of a customer the CRM does not know (staging will quarantine it): no one to score.
    intake.accept("orders", [order | {"order_id": "x-1", "customer_id": "nobody", "status": "completed"}])
    assert scorer.refresh() == 1 and scorer.scores("nobody") is None
    # A cancelled order: the buyer's live scores are its published ones.
    intake.accept("orders", [order | {"order_id": "x-2", "customer_id": buyer, "status": "cancelled"}])
    assert scorer.refresh() == 1
    assert (scorer.scores(buyer)["frequency"], scorer.scores(buyer)["monetary"]) == (frequency, float(monetary))


def test_an_event_out_of_order_leaves_its_customer_to_the_batch(published, tmp_path):
    """A live event before the customer's last published one would re-cut published sessions: the scores that
    read web activity wait for the batch; those of the orders do not."""
    (customer, last_event_at) = published_rows(
        published,
        LAST_EVENTS_SQL,
        [[row[0] for row in published_rows(published, "select customer_id from customer_rfm")]],
    )[0]
    warehouse = Warehouse(published)
    scorer = LiveScorer(tmp_path, warehouse.cursor, warehouse.file_id, LiveSettings.from_project(PROJECT_DIR))
    event = {"event_type": "page_view", "event_target": "/pricing", "duration_seconds": 5}
    late = event | {"event_id": "late", "customer_id": customer, "event_ts": str(last_event_at - timedelta(hours=1))}
    Intake(tmp_path).accept("web_events", [late])
    assert scorer.refresh() == 1
    scores = scorer.scores(customer)
    assert None not in [scores[column] for column in ["frequency", "p_alive", *BUYER_RANKED_COLUMNS]]
    waiting = ["churn_probability", "risk_tier", *RANKED_COLUMNS, *CHOSEN_COLUMNS]
    assert [scores.get(column) for column in waiting] == [None] * len(waiting)
