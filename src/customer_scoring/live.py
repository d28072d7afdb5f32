"""Live scores: the customers whose orders or web events landed in the live logs after the publication, scored
again with the publication's registered models as soon as the rows land, whichever process landed them.

A `LiveScorer` follows the live logs (`customer_scoring.ingest`) and, for every customer with a live order
or event, recomputes what the next batch build will publish for them from the same data and the same
registered versions:
- the RFM measures (recency, frequency, monetary value, tenure) and the CLV scores (p_alive, expected
  purchases, CLV; `customer_scoring.clv.pipeline.score`, the batch's own function);
- the churn scores (probability, risk tier, top drivers, survival; `customer_scoring.churn.score_risk`, the
  batch's own) on the churn features at the as-of cutoff;
- the scores that rank a customer among all: the RFM segment (quintiles among buyers), the CLV decile, the
  engagement and value scores and the high-value flag. Every customer's measures are computed again as of
  the live date (once per date, from the publication), each live customer's with their live rows, and
  every live customer is ranked among them again on each refresh, since one customer's rows move the
  others' ranks (`BuyerRanks`, `Population`);
- the segment (the registered version's nearest centroid) and the next best action with the value it is
  expected to save.
It judges live rows as int_orders_validated and int_web_events_validated do (a customer the publication
holds, an order not before the signup and with an id not published before), sessionizes live events after
the customer's published web history, and computes as of the date the batch will: the latest of the
publication's as-of date and the live orders' and events' dates. Left to the batch: whether an action is
funded (the budget is spent down the whole population's ranking: a decision of the run), and the scores that
read web activity (churn, engagement, value, segment, action) of a customer with a live event older than
their last published one, which would re-cut published sessions (the others are ranked without it). The
batch ranks customers who signed up after the publication too; the live scores rank the publication's.

A new publication resets the scorer: live rows it holds are scored by the batch from then on.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from customer_scoring.churn import FAMILY as CHURN_FAMILY
from customer_scoring.churn import RISK_COLUMNS, ChurnVersion, score_risk
from customer_scoring.churn.scoring import DRIVERS
from customer_scoring.clv.pipeline import FAMILY as CLV_FAMILY
from customer_scoring.clv.pipeline import SCORE_COLUMNS, ClvVersion, score
from customer_scoring.ingest import LIVE_SCHEMAS, log_path, staged_id
from customer_scoring.segments import FAMILY as SEGMENTS_FAMILY
from customer_scoring.segments import SegmentVersion, assign_segments

# The RFM measures and CLV scores a live score holds, named as in customer_rfm and customer_clv.
RFM_COLUMNS = ["recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"]
# customer_clv's values of a customer but the decile (`BuyerRanks` ranks it among all buyers).
CLV_COLUMNS = [
    column for column in SCORE_COLUMNS if column not in ("customer_id", "clv_decile", "clv_model", "as_of_date")
]
# The measures that rank a buyer among all buyers: the RFM quintiles' and the CLV decile's.
BUYER_MEASURES = ["recency_days", "frequency", "monetary", "clv_12m"]
# The engagement measures the engagement score weighs (the engagement_weights var's keys).
ENGAGEMENT_MEASURES = ["usage_minutes", "pages_viewed", "features_clicked", "avg_session_minutes"]
# customer_churn_risk's scores of a customer, its top drivers as one list (churn_drivers).
CHURN_COLUMNS = [
    "churn_probability",
    "risk_tier",
    "churn_drivers",
    *(column for column in RISK_COLUMNS if column.startswith(("median_", "survival_"))),
]

# The touched customers' live rows (registered as live_orders and live_events: all they have in the logs) that
# int_orders_validated and int_web_events_validated keep, and their revenue orders, the publication's and
# the live ones: temp tables the queries below read (each read more than once, or a scan of a published table).
VALID_ROWS_SQL = """
create or replace temp table touched as
select nullif(trim(customer_id), '') as customer_id from live_orders
union
select nullif(trim(customer_id), '') from live_events;

create or replace temp table typed_orders as
select
    nullif(trim(order_id), '') as order_id,
    nullif(trim(customer_id), '') as customer_id,
    cast(try_cast(order_ts as timestamp) as date) as order_date,
    try_cast(trim(amount) as decimal(18, 2)) as amount,
    lower(trim(status)) = 'completed' as is_revenue
from live_orders;

create or replace temp table published_orders as
select order_id, customer_id, order_date, amount, is_revenue
from published.fct_orders
where customer_id in (select customer_id from touched);

create or replace temp table valid_orders as
select typed_orders.*
from typed_orders
inner join published.dim_customers as customers on typed_orders.customer_id = customers.customer_id
where typed_orders.order_date >= customers.signup_date
    and typed_orders.order_id not in (select order_id from published_orders);

create or replace temp table revenue_orders as
select customer_id, order_date, amount
from (
    select customer_id, order_date, amount, is_revenue from published_orders
    union all
    select customer_id, order_date, amount, is_revenue from valid_orders
)
where is_revenue;

create or replace temp table valid_events as
select
    nullif(trim(live_events.event_id), '') as event_id,
    customers.customer_id,
    try_cast(live_events.event_ts as timestamp) as event_at,
    cast(try_cast(live_events.event_ts as timestamp) as date) as event_date,
    live_events.event_type,
    coalesce(live_events.duration_seconds, 0) as duration_seconds
from live_events
inner join published.dim_customers as customers on nullif(trim(live_events.customer_id), '') = customers.customer_id;
"""

# The live as-of date, the batch's int_as_of_date: the latest of the publication's ($as_of), the valid live
# orders' and the dates of the events read in this refresh (new_events: identified ones of known customers, and
# anonymous ones).
AS_OF_SQL = """
select greatest(
    cast($as_of as date),
    coalesce((select max(order_date) from valid_orders), cast($as_of as date)),
    coalesce(
        (
            select max(cast(try_cast(new_events.event_ts as timestamp) as date))
            from new_events
            left join published.dim_customers as customers
                on nullif(trim(new_events.customer_id), '') = customers.customer_id
            where nullif(trim(new_events.customer_id), '') is null or customers.customer_id is not null
        ),
        cast($as_of as date)
    )
)
"""

# As of $as_of, the RFM measures (customer_rfm) and the full snapshot's buy-till-you-die summary
# (int_clv_summary_by_snapshot) of each customer of {orders} (revenue orders) with a completed order.
SUMMARY_SQL = """
with

rfm as (
    select
        customer_id,
        cast(date_diff('day', max(order_date), cast($as_of as date)) as integer) as rfm_recency_days,
        cast(count(*) as integer) as rfm_frequency,
        cast(sum(amount) as decimal(18, 2)) as rfm_monetary,
        -- round_to_cents of the mean, as customer_rfm rounds it
        cast(cast(round(avg(amount) * 100) as decimal(18, 0)) * 0.01 as decimal(18, 2)) as rfm_avg_order_value,
        cast(date_diff('day', min(order_date), cast($as_of as date)) as integer) as rfm_tenure_days
    from {orders}
    group by customer_id
),

purchase_days as (
    select
        customer_id,
        order_date as purchase_date,
        sum(amount) as revenue,
        row_number() over (partition by customer_id order by order_date) as purchase_number
    from {orders}
    group by customer_id, order_date
),

summary as (
    select
        customer_id,
        min(purchase_date) as first_purchase_date,
        cast(count(*) - 1 as integer) as frequency,
        cast(date_diff('day', min(purchase_date), max(purchase_date)) as integer) as recency_days,
        cast(date_diff('day', min(purchase_date), cast($as_of as date)) as integer) as age_days,
        cast(avg(case when purchase_number > 1 then revenue end) as double) as monetary_value,
        cast(sum(revenue) as double) as total_revenue,
        {sequence}
    from purchase_days
    group by customer_id
)

select 'full' as snapshot_name, cast($as_of as date) as snapshot_date, summary.*, rfm.* exclude (customer_id)
from summary
inner join rfm on summary.customer_id = rfm.customer_id
order by summary.customer_id
"""

# The touched customers' live events sessionized as int_web_events_rolled_up_to_session_days does, after their
# last published event (customer_recent_web_activity): a row of its own, first on a tie, whose session a live event
# within the timeout ({session_timeout_seconds}) continues. A live event before the last published one would cut the
# published sessions anew: such a customer (out_of_order) keeps their published web history until the next build.
SESSIONS_SQL = """
create or replace temp table published_last_event as
select customer_id, max(last_event_at) as last_event_at
from published.customer_recent_web_activity
where customer_id in (select customer_id from touched)
group by customer_id;

create or replace temp table out_of_order as
select distinct valid_events.customer_id
from valid_events
inner join published_last_event on valid_events.customer_id = published_last_event.customer_id
where valid_events.event_at < published_last_event.last_event_at;

create or replace temp table sessionized_events as
with

events as (
    select customer_id, event_id, event_at, event_date, event_type, duration_seconds, false as is_published
    from valid_events
    where customer_id not in (select customer_id from out_of_order)
    union all
    select customer_id, null, last_event_at, cast(last_event_at as date), null, 0, true
    from published_last_event
),

gaps as (
    select
        *,
        lag(event_at) over (partition by customer_id order by event_at, is_published desc, event_id)
            as previous_event_at,
        max(case when is_published then event_date end) over (partition by customer_id) as published_date
    from events
),

numbered as (
    select
        *,
        sum(
            case
                when previous_event_at is null then 1
                when date_diff('second', previous_event_at, event_at) > {session_timeout_seconds} then 1
                else 0
            end
        ) over (
            partition by customer_id order by event_at, is_published desc, event_id
            rows between unbounded preceding and current row
        ) as session_number
    from gaps
)

select
    *,
    -- the live events of the customer's last published session
    coalesce(session_number = 1 and published_date is not null, false) as is_continued
from numbered;
"""

# As of $as_of, the churn features (customer_churn_features at the as-of cutoff) of each touched customer in the
# churn population: the publication's web days with the live sessions' added, and the orders.
# {categorical}: the CRM attributes.
CHURN_FEATURES_SQL = """
with

published_web as (
    select *
    from published.customer_recent_web_activity
    where customer_id in (select customer_id from touched)
),

live_web as (
    select
        customer_id,
        event_date as activity_date,
        -- the last published event's session already counts on its own day
        count(distinct case when not (is_continued and event_date = published_date) then session_number end)
            as sessions,
        count(*) as events,
        sum(case when event_type = 'feature_click' then 1 else 0 end) as features_clicked,
        sum(duration_seconds) as duration_seconds
    from sessionized_events
    where not is_published
    group by customer_id, event_date
),

daily_web as (
    select
        coalesce(published_web.customer_id, live_web.customer_id) as customer_id,
        coalesce(published_web.activity_date, live_web.activity_date) as activity_date,
        coalesce(published_web.sessions, 0) + coalesce(live_web.sessions, 0) as sessions,
        coalesce(published_web.features_clicked, 0) + coalesce(live_web.features_clicked, 0) as features_clicked,
        -- the day's durations / 60, as int_customer_daily_activity divides them (published: whole seconds / 60)
        (coalesce(round(published_web.usage_minutes * 60), 0) + coalesce(live_web.duration_seconds, 0))
            / cast(60 as double) as usage_minutes
    from published_web
    full outer join live_web
        on published_web.customer_id = live_web.customer_id and published_web.activity_date = live_web.activity_date
),

daily_orders as (
    select customer_id, order_date as activity_date, count(*) as orders, sum(amount) as revenue
    from revenue_orders
    group by customer_id, order_date
),

history as (
    select
        coalesce(daily_orders.customer_id, daily_web.customer_id) as customer_id,
        date_diff('day', coalesce(daily_orders.activity_date, daily_web.activity_date), cast($as_of as date))
            as days_before,
        coalesce(daily_orders.orders, 0) as orders,
        coalesce(daily_orders.revenue, 0) as revenue,
        coalesce(daily_web.sessions, 0) as sessions,
        coalesce(daily_web.features_clicked, 0) as features_clicked,
        coalesce(daily_web.usage_minutes, 0) as usage_minutes
    from daily_orders
    full outer join daily_web
        on daily_orders.customer_id = daily_web.customer_id and daily_orders.activity_date = daily_web.activity_date
),

aggregated as (
    select
        customer_id,
        min(case when orders > 0 then days_before end) as days_since_last_order,
        min(days_before) as days_since_last_activity,
        max(case when orders > 0 then days_before end) as days_since_first_order,
        sum(orders) as lifetime_orders,
        sum(revenue) as lifetime_revenue,
        sum(case when days_before < $horizon then orders else 0 end) as orders_last_horizon,
        sum(case when days_before < $long_window then orders else 0 end) as orders_last_365d,
        sum(case when days_before < $horizon then revenue else 0 end) as revenue_last_horizon,
        sum(case when days_before < $long_window then revenue else 0 end) as revenue_last_365d,
        sum(case when days_before < $recent then sessions else 0 end) as sessions_last_30d,
        sum(case when days_before >= $recent and days_before < 2 * $recent then sessions else 0 end)
            as sessions_previous_30d,
        -- exact_sum
        cast(sum(cast(case when days_before < $recent then usage_minutes else 0 end as decimal(38, 12))) as double)
            as usage_minutes_last_30d,
        cast(sum(cast(
            case when days_before >= $recent and days_before < 2 * $recent then usage_minutes else 0 end
            as decimal(38, 12)
        )) as double) as usage_minutes_previous_30d,
        sum(case when days_before < $recent then features_clicked else 0 end) as features_clicked_last_30d,
        sum(case when days_before < $horizon then 1 else 0 end) as active_days_last_horizon
    from history
    group by customer_id
)

select
    aggregated.customer_id,
    cast($as_of as date) as cutoff_date,
    cast(aggregated.days_since_last_order as integer) as days_since_last_order,
    cast(aggregated.days_since_last_activity as integer) as days_since_last_activity,
    cast(aggregated.days_since_first_order as integer) as days_since_first_order,
    cast(date_diff('day', customers.signup_date, cast($as_of as date)) as integer) as tenure_days,
    cast(aggregated.lifetime_orders as integer) as lifetime_orders,
    cast(aggregated.lifetime_revenue as double) as lifetime_revenue,
    cast(aggregated.orders_last_horizon as integer) as orders_last_horizon,
    cast(aggregated.orders_last_365d as integer) as orders_last_365d,
    cast(aggregated.revenue_last_horizon as double) as revenue_last_horizon,
    cast(aggregated.revenue_last_365d as double) as revenue_last_365d,
    cast(aggregated.sessions_last_30d as integer) as sessions_last_30d,
    cast(aggregated.sessions_previous_30d as integer) as sessions_previous_30d,
    aggregated.usage_minutes_last_30d,
    aggregated.usage_minutes_previous_30d,
    cast(aggregated.features_clicked_last_30d as integer) as features_clicked_last_30d,
    cast(aggregated.active_days_last_horizon as integer) as active_days_last_horizon,
    {categorical}
    out_of_order.customer_id is not null as is_out_of_order
from aggregated
inner join published.dim_customers as customers on aggregated.customer_id = customers.customer_id
left join out_of_order on aggregated.customer_id = out_of_order.customer_id
where aggregated.lifetime_orders > 0 and aggregated.days_since_last_activity < $horizon
order by aggregated.customer_id
"""


def summary_sql(orders: str, sequence_months: int) -> str:
    """SUMMARY_SQL over the view `orders`, with the monthly spend sequence int_clv_summary_by_snapshot has
    (spend_month_1, the 30 days up to $as_of, ... spend_month_<sequence_months>)."""
    sequence = ",\n".join(
        f"cast(sum(case when cast($as_of as date) - {30 * month} < purchase_date "
        f"and cast($as_of as date) - {30 * (month - 1)} >= purchase_date then revenue else 0 end) as double) "
        f"as spend_month_{month}"
        for month in range(1, sequence_months + 1)
    )
    return SUMMARY_SQL.format(orders=orders, sequence=sequence)


# Every customer's published revenue orders, for SUMMARY_SQL.
PUBLISHED_ORDERS_SQL = """
create or replace temp view published_revenue_orders as
select customer_id, order_date, amount
from published.fct_orders
where is_revenue;
"""

# The touched customers' sessions as the batch will cut them (fct_web_sessions): their published ones, the last
# extended by the live events that continue it, and the new live ones.
TOUCHED_SESSIONS_SQL = """
create or replace temp table live_sessions as
select
    customer_id,
    is_continued,
    min(event_at) as started_at,
    max(event_at + to_seconds(duration_seconds)) as ended_at,
    sum(case when event_type = 'page_view' then 1 else 0 end) as pages_viewed,
    sum(case when event_type = 'feature_click' then 1 else 0 end) as features_clicked,
    sum(duration_seconds) as duration_seconds
from sessionized_events
where not is_published
group by customer_id, session_number, is_continued;

create or replace temp table published_sessions as
select * from published.fct_web_sessions
where customer_id in (select customer_id from touched);

create or replace temp table continued as
select published_sessions.*
from published_sessions
inner join (
    select customer_id, max(started_at) as started_at
    from published_sessions
    where customer_id in (select customer_id from live_sessions where is_continued)
    group by customer_id
) as last_sessions
    on published_sessions.customer_id = last_sessions.customer_id
    and published_sessions.started_at = last_sessions.started_at;

create or replace temp view metric_sessions as
select customer_id, started_at, session_minutes, pages_viewed, features_clicked, usage_minutes
from published_sessions
anti join continued
    on published_sessions.customer_id = continued.customer_id and published_sessions.started_at = continued.started_at
union all
select
    continued.customer_id,
    continued.started_at,
    date_diff('second', continued.started_at, greatest(continued.ended_at, live_sessions.ended_at))
        / cast(60 as double),
    continued.pages_viewed + live_sessions.pages_viewed,
    continued.features_clicked + live_sessions.features_clicked,
    (round(continued.usage_minutes * 60) + live_sessions.duration_seconds) / cast(60 as double)
from continued
inner join live_sessions on continued.customer_id = live_sessions.customer_id and live_sessions.is_continued
union all
select
    customer_id,
    started_at,
    date_diff('second', started_at, ended_at) / cast(60 as double),
    pages_viewed,
    features_clicked,
    duration_seconds / cast(60 as double)
from live_sessions
where not is_continued;

-- dim_customers' order summary of the touched customers, with their live revenue orders
create or replace temp view metric_customers as
select
    customers.customer_id,
    coalesce(orders_summary.first_order_date, customers.first_order_date) as first_order_date,
    coalesce(orders_summary.last_order_date, customers.last_order_date) as last_order_date,
    cast(coalesce(orders_summary.total_revenue, customers.lifetime_revenue) as decimal(18, 2)) as lifetime_revenue
from published.dim_customers as customers
left join (
    select customer_id, min(order_date) as first_order_date, max(order_date) as last_order_date,
        sum(amount) as total_revenue
    from revenue_orders
    group by customer_id
) as orders_summary on customers.customer_id = orders_summary.customer_id
where customers.customer_id in (select customer_id from touched)
    and customers.customer_id not in (select customer_id from out_of_order);
"""

# The publication's sessions and customers, for the population's measures before any live row.
PUBLISHED_METRICS_SQL = """
create or replace temp view metric_sessions as
select customer_id, started_at, session_minutes, pages_viewed, features_clicked, usage_minutes
from published.fct_web_sessions;

create or replace temp view metric_customers as
select customer_id, first_order_date, last_order_date, lifetime_revenue
from published.dim_customers;
"""

# As of $as_of, the measures customer_engagement and customer_value_score rank customers on, of the customers of
# metric_customers from metric_sessions; has_sessions: whether they have any session at all.
METRICS_SQL = """
with

web_activity as (
    select
        customer_id,
        count(*) as all_sessions,
        sum(case when is_in_window then 1 else 0 end) as sessions,
        cast(sum(cast(case when is_in_window then usage_minutes else 0 end as decimal(38, 12))) as double)
            as usage_minutes,
        sum(case when is_in_window then pages_viewed else 0 end) as pages_viewed,
        sum(case when is_in_window then features_clicked else 0 end) as features_clicked,
        cast(sum(cast(case when is_in_window then session_minutes else 0 end as decimal(38, 12))) as double)
            as session_minutes
    from (
        select *, cast(started_at as date) > cast($as_of as date) - to_days($window_days) as is_in_window
        from metric_sessions
    )
    group by customer_id
)

select
    customers.customer_id,
    cast(coalesce(web_activity.usage_minutes, 0) as double) as usage_minutes,
    cast(coalesce(web_activity.pages_viewed, 0) as integer) as pages_viewed,
    cast(coalesce(web_activity.features_clicked, 0) as integer) as features_clicked,
    coalesce(web_activity.session_minutes / nullif(web_activity.sessions, 0), 0) as avg_session_minutes,
    coalesce(web_activity.all_sessions, 0) > 0 as has_sessions,
    customers.last_order_date,
    30.0 * cast(customers.lifetime_revenue as double) / greatest(
        coalesce(date_diff('day', customers.first_order_date, cast($as_of as date)), 0), $spend_rate_min_days
    ) as monthly_revenue
from metric_customers as customers
left join web_activity on customers.customer_id = web_activity.customer_id
order by customers.customer_id
"""


class Population:
    """Every customer's measures that the engagement and value scores rank (METRICS_SQL's rows): the
    publication's as of one date, and the live customers' own, computed again with their live rows. Ranks
    as percent_rank does ((customers below) / (customers - 1)), the publication's values sorted once, so that
    ranking a touched customer costs a search, not a sort of everyone."""

    def __init__(self, published: pd.DataFrame, settings: LiveSettings):
        self.settings = settings
        self.ids = published.index
        self.position = pd.Series(np.arange(len(published)), index=published.index)
        self.base = self._values(published)
        self.sorted = {name: np.sort(values) for name, values in self.base.items()}
        self.base_below = {name: np.searchsorted(self.sorted[name], self.base[name]) for name in self.base}
        self.base_has_sessions = bool(published["has_sessions"].any())
        self.live = published.iloc[:0]

    @staticmethod
    def _values(measures: pd.DataFrame) -> dict[str, np.ndarray]:
        values = {name: measures[name].to_numpy(dtype=float) for name in [*ENGAGEMENT_MEASURES, "monthly_revenue"]}
        # customer_value_score orders a customer without an order as of 1900-01-01
        last_order = pd.to_datetime(measures["last_order_date"]).fillna(pd.Timestamp("1900-01-01"))
        values["last_order_date"] = last_order.to_numpy(dtype="datetime64[D]").astype(float)
        return values

    def update(self, measures: pd.DataFrame) -> None:
        """The live customers' measures now (METRICS_SQL's rows of the touched customers)."""
        self.live = pd.concat([self.live.drop(measures.index, errors="ignore"), measures])

    def scores(self, customers: pd.Index) -> pd.DataFrame:
        """engagement_score, value_score and is_high_value of `customers` (live ones) among everyone's now,
        computed as customer_engagement and customer_value_score compute them."""
        settings = self.settings
        live = self._values(self.live)
        at = self.position[self.live.index].to_numpy()
        current = {}
        for name, base in self.base.items():
            current[name] = base.copy()
            current[name][at] = live[name]
        # Below a value now: the publication's values below it, less the live customers' published ones
        # below it, plus their current ones below it.
        ranks = {}
        for name, values in current.items():
            below = self.base_below[name].copy()
            below[at] = np.searchsorted(self.sorted[name], live[name])
            below -= np.searchsorted(np.sort(self.base[name][at]), values)
            below += np.searchsorted(np.sort(live[name]), values)
            ranks[name] = self._percent_rank(below)
        engagement = self._weighted(settings.engagement_weights, {name: ranks[name] for name in ENGAGEMENT_MEASURES})
        has_sessions = self.base_has_sessions or bool(self.live["has_sessions"].any())
        activity = engagement / 100.0 if has_sessions else ranks["last_order_date"]
        value = self._weighted(
            settings.value_score_weights, {"engagement": activity, "monetary": ranks["monthly_revenue"]}
        )
        wanted = self.position[customers].to_numpy()
        value_rank = self._percent_rank(np.searchsorted(np.sort(value), value[wanted]))
        threshold = float(Decimal(1) - Decimal(str(settings.high_value_share)))
        return pd.DataFrame(
            {
                "customer_id": customers,
                "engagement_score": engagement[wanted],
                "value_score": value[wanted],
                "is_high_value": value_rank >= threshold,
            }
        )

    def _percent_rank(self, below: np.ndarray) -> np.ndarray:
        return below / (len(self.ids) - 1) if len(self.ids) > 1 else np.zeros(len(below))

    @staticmethod
    def _weighted(weights: dict[str, float], normalized: dict[str, np.ndarray]) -> np.ndarray:
        """100 * (w1 * x1 + w2 * x2 + ...) / (w1 + w2 + ...), in the models' order of operations (`normalized`
        in the models' order): the doubles DuckDB computes from the rendered SQL."""
        terms = [weights[name] * values for name, values in normalized.items()]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return 100.0 * total / sum(weights.values())


class BuyerRanks:
    """Every buyer's RFM measures and 12-month CLV as of one date (the publication's orders, scored with the
    registered version), and the live buyers' own: the quintile scores and RFM segment that customer_rfm gives
    a buyer, and the CLV decile that customer_clv gives them, among all buyers now. The publication's values
    are sorted once; a live buyer's rank is a search, corrected by the few live buyers."""

    def __init__(self, published: pd.DataFrame, segment_map: pd.DataFrame):
        self.ids = published["customer_id"].to_numpy(dtype=str)
        self.position = pd.Series(np.arange(len(self.ids)), index=self.ids)
        self.base = {column: published[column].to_numpy(dtype=float) for column in BUYER_MEASURES}
        self.sorted = {column: np.sort(values) for column, values in self.base.items()}
        # customer_clv ranks ties first-come in customer_id order: CLV sorted with ties by id.
        self.clv_sorted, self.ids_by_clv = by_value(self.base["clv_12m"], self.ids)
        self.segments = {(r, fm): name for r, fm, name in segment_map.itertuples(index=False)}
        self.live = pd.DataFrame(columns=BUYER_MEASURES, dtype=float)
        self.live_by_clv = self.replaced_by_clv = by_value(np.array([]), np.array([], dtype=str))

    def update(self, measures: pd.DataFrame) -> None:
        """The live buyers' measures now (BUYER_MEASURES, indexed by customer_id)."""
        self.live = pd.concat([self.live.drop(measures.index, errors="ignore"), measures.astype(float)])
        published = self.position.reindex(self.live.index).dropna().to_numpy(dtype=int)
        self.replaced = {column: values[published] for column, values in self.base.items()}
        self.live_by_clv = by_value(self.live["clv_12m"].to_numpy(), self.live.index.to_numpy(dtype=str))
        self.replaced_by_clv = by_value(self.replaced["clv_12m"], self.ids[published])
        self.buyers = len(self.ids) + len(self.live) - len(published)

    def _below(self, column: str, values: np.ndarray, side: str = "left") -> np.ndarray:
        """How many buyers have a value now below each of `values` (at most each, side='right')."""
        below = np.searchsorted(self.sorted[column], values, side)
        below -= np.searchsorted(np.sort(self.replaced[column]), values, side)
        return below + np.searchsorted(np.sort(self.live[column].to_numpy()), values, side)

    def scores(self, customers: pd.Series) -> pd.DataFrame:
        """rfm_segment and clv_decile of `customers` (live buyers)."""
        rows = self.live.loc[customers]

        def quintile(below: np.ndarray) -> np.ndarray:  # quintile_score, from percent_rank
            return np.minimum(5, 1 + np.floor(5 * (below / (self.buyers - 1) if self.buyers > 1 else 0 * below)))

        # Recency scores the smallest 5: percent_rank over it descending counts the buyers above.
        r_score = quintile(self.buyers - self._below("recency_days", rows["recency_days"].to_numpy(), "right"))
        f_score = quintile(self._below("frequency", rows["frequency"].to_numpy()))
        m_score = quintile(self._below("monetary", rows["monetary"].to_numpy()))
        fm_score = np.floor((f_score + m_score + 1) / 2.0)
        # customer_clv's decile: ceil(10 * rank / buyers), the rank first-come over buyers in customer_id order.
        clv, ids = rows["clv_12m"].to_numpy(), customers.to_numpy(dtype=str)
        before = before_in(self.clv_sorted, self.ids_by_clv, clv, ids)
        before += before_in(*self.live_by_clv, clv, ids) - before_in(*self.replaced_by_clv, clv, ids)
        decile = np.ceil(10 * (before + 1) / self.buyers)
        return pd.DataFrame(
            {
                "customer_id": ids,
                "rfm_segment": [self.segments.get((int(r), int(fm))) for r, fm in zip(r_score, fm_score, strict=True)],
                "clv_decile": np.where(np.isnan(clv), None, decile.astype(int)),
            }
        )


def by_value(values: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`values` and their `ids` sorted by value, ties by id."""
    order = np.lexsort((ids, values))
    return values[order], ids[order]


def before_in(values: np.ndarray, ids: np.ndarray, value: np.ndarray, id_: np.ndarray) -> np.ndarray:
    """How many of the (value, id) pairs `values`, `ids` (`by_value`'s order) come before each (`value`, `id_`)."""
    low = np.searchsorted(values, value, side="left")
    high = np.searchsorted(values, value, side="right")
    for k in np.flatnonzero(high > low):  # equal values: the ids decide
        low[k] += np.searchsorted(ids[low[k] : high[k]], id_[k])
    return low


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


@dataclass(frozen=True)
class LiveSettings:
    """What the batch scores with that live scoring needs too: dbt vars, the next best action rules and the RFM
    segment map (seeds)."""

    annual_discount_rate: float
    purchase_propensity_days: int
    clv_sequence_months: int
    churn_horizon_days: int
    churn_recent_days: int
    churn_long_window_days: int
    session_timeout_minutes: int
    churn_risk_tiers: dict[str, float]
    intervention_survival: float
    engagement_window_days: int
    engagement_weights: dict[str, float]
    spend_rate_min_days: int
    value_score_weights: dict[str, float]
    high_value_share: float
    next_best_action_rules: pd.DataFrame
    rfm_segment_map: pd.DataFrame

    @classmethod
    def from_project(cls, project_dir: Path) -> LiveSettings:
        """The settings of the dbt project at `project_dir`: its vars and its next_best_action_rules seed."""
        project_vars = yaml.safe_load((project_dir / "dbt_project.yml").read_text())["vars"]
        fields = {"annual_discount_rate": project_vars["clv_annual_discount_rate"]}
        fields |= {name: project_vars[name] for name in cls.__dataclass_fields__ if name in project_vars}
        rules = pd.read_csv(project_dir / "seeds" / "next_best_action_rules.csv")
        segment_map = pd.read_csv(project_dir / "seeds" / "rfm_segment_map.csv")
        return cls(
            **fields,
            next_best_action_rules=rules.sort_values("rule_priority", ignore_index=True),
            rfm_segment_map=segment_map[["r_score", "fm_score", "rfm_segment"]],
        )


class LiveScorer:
    """Live scores of the customers with live orders or events. `cursor` opens the current publication (attached
    as `published`) and `publication_id` names it: a new one resets the scorer."""

    def __init__(
        self,
        raw_dir: Path,
        cursor: Callable[[], duckdb.DuckDBPyConnection],
        publication_id: Callable[[], object],
        settings: LiveSettings,
    ):
        self.raw_dir = Path(raw_dir)
        self.cursor = cursor
        self.publication_id = publication_id
        self.settings = settings
        self._lock = threading.Lock()
        self._publication = None
        self._scored: tuple[pd.DataFrame, dict] = (pd.DataFrame(), {})

    def _reset(self, publication) -> None:
        self._publication = publication
        self._readers = {source: LogReader(log_path(self.raw_dir, source)) for source in LIVE_SCHEMAS}
        # Per customer, their live rows of each source.
        self._rows: dict[str, dict[str, list[dict]]] = defaultdict(lambda: {source: [] for source in LIVE_SCHEMAS})
        self._scored = (pd.DataFrame(), {})
        # The live customers' scores that are their own (not ranks among everyone), as last computed.
        self._own: dict[str, dict] = {}
        self._loaded = False
        self._population: Population | None = None
        self._population_as_of = None
        self._buyer_ranks: BuyerRanks | None = None
        self._buyer_ranks_as_of = None

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
        self._clv = ClvVersion.from_registry(versions[versions["model_family"] == CLV_FAMILY])
        self._churn = ChurnVersion.from_registry(versions[versions["model_family"] == CHURN_FAMILY])
        self._segments = SegmentVersion.from_registry(versions[versions["model_family"] == SEGMENTS_FAMILY])
        self._loaded = True

    def refresh(self) -> int:
        """Read what landed since the last refresh, score the customers it touched (all live customers when the
        as-of date moved) and rank every live customer again; returns how many were scored."""
        with self._lock:
            publication = self.publication_id()
            if publication != self._publication:
                self._reset(publication)
            new = {source: reader.read() for source, reader in self._readers.items()}
            touched = set()
            for source, rows in new.items():
                for row in rows:
                    if row["customer_id"] is not None:
                        customer = staged_id(row["customer_id"])
                        self._rows[customer][source].append(row)
                        touched.add(customer)
            if not (touched or new["web_events"]):
                return 0
            if not self._loaded:
                self._load_publication()
            as_of, scores = self._score(touched, new["web_events"])
            if as_of != self._as_of:
                # A later as-of date ages every live customer, not only those of the new rows, and ranks them
                # among everyone anew: all are scored again before any is served.
                self._as_of = as_of
                touched = set(self._rows)
                as_of, scores = self._score(touched, [])
            self._scored = scores
            return len(touched)

    def _score(self, customers: set[str], new_events: list[dict]) -> tuple[date, tuple[pd.DataFrame, dict]]:
        """Score `customers`, with `new_events` the events read in this refresh, and rank every live customer: the
        as-of date they were scored at, every live customer's scores (by customer_id) and what stamps them all."""
        live = {
            source: pa.Table.from_pylist(
                [row for customer in sorted(customers) for row in self._rows[customer][source]],
                schema=LIVE_SCHEMAS[source],
            )
            for source in LIVE_SCHEMAS
        }
        settings = self.settings
        with self.cursor() as cursor:
            cursor.register("live_orders", live["orders"])
            cursor.register("live_events", live["web_events"])
            cursor.register("new_events", pa.Table.from_pylist(new_events, schema=LIVE_SCHEMAS["web_events"]))
            cursor.execute(VALID_ROWS_SQL)
            cursor.execute(SESSIONS_SQL.format(session_timeout_seconds=60 * settings.session_timeout_minutes))
            (as_of,) = cursor.execute(AS_OF_SQL, {"as_of": self._as_of}).fetchone()
            summary = cursor.execute(summary_sql("revenue_orders", settings.clv_sequence_months), {"as_of": as_of}).df()
            if self._buyer_ranks is None or self._buyer_ranks_as_of != as_of:
                cursor.execute(PUBLISHED_ORDERS_SQL)
                everyone = cursor.execute(
                    summary_sql("published_revenue_orders", settings.clv_sequence_months), {"as_of": as_of}
                )
                self._buyer_ranks = BuyerRanks(self._rfm_and_clv(everyone.df()), settings.rfm_segment_map)
                self._buyer_ranks_as_of = as_of
            measured = self._update_population(cursor, as_of)
            churn_features = None
            if self._churn is not None:
                attributes = "".join(
                    f"coalesce(customers.{name}, 'unknown') as {name},\n"
                    for name in self._churn.classifier.features.categorical
                )
                churn_features = cursor.execute(
                    CHURN_FEATURES_SQL.format(categorical=attributes),
                    {
                        "as_of": as_of,
                        "horizon": settings.churn_horizon_days,
                        "recent": settings.churn_recent_days,
                        "long_window": settings.churn_long_window_days,
                    },
                ).df()
        buyers = self._rfm_and_clv(summary)
        self._buyer_ranks.update(buyers.set_index("customer_id")[BUYER_MEASURES])
        own = buyers.merge(pd.DataFrame({"customer_id": measured}), on="customer_id", how="outer")
        if churn_features is not None:
            churn = self._churn_scores(churn_features, buyers["customer_id"])
            own = own.merge(churn, on="customer_id", how="left")
        self._own |= {row["customer_id"]: row for row in own.to_dict("records")}
        own = pd.DataFrame.from_records(list(self._own.values()), columns=own.columns)
        # A customer's rows move the others' ranks: every live customer is ranked again, not only the touched.
        buyer_ranks = self._buyer_ranks.scores(self._buyer_ranks.live.index.to_series())
        scores = own.merge(buyer_ranks, on="customer_id", how="left")
        scores = scores.merge(self._population.scores(self._population.live.index), on="customer_id", how="left")
        scores = self._with_actions(scores)
        for source, column in [("orders", "live_orders"), ("web_events", "live_events")]:
            scores[column] = [len(self._rows[customer][source]) for customer in scores["customer_id"]]
        scores = scores.astype(object).where(scores.notna(), None).set_index("customer_id")
        stamp = {"as_of_date": as_of, "scored_at": datetime.now(UTC), "model_versions": self._versions}
        return as_of, (scores, stamp)

    def _update_population(self, cursor: duckdb.DuckDBPyConnection, as_of: date) -> pd.Index:
        """Every customer's engagement and value measures (`Population`): the publication's as of `as_of`
        (computed once per date) with the touched customers' own now; returns the touched customers measured."""
        parameters = {
            "as_of": as_of,
            "window_days": self.settings.engagement_window_days,
            "spend_rate_min_days": self.settings.spend_rate_min_days,
        }
        if self._population is None or self._population_as_of != as_of:
            cursor.execute(PUBLISHED_METRICS_SQL)
            published = cursor.execute(METRICS_SQL, parameters).df().set_index("customer_id")
            self._population = Population(published, self.settings)
            self._population_as_of = as_of
        cursor.execute(TOUCHED_SESSIONS_SQL)
        touched = cursor.execute(METRICS_SQL, parameters).df().set_index("customer_id")
        self._population.update(touched)
        return touched.index

    def _with_actions(self, scores: pd.DataFrame) -> pd.DataFrame:
        """`scores` with each buyer's segment (the registered version's nearest centroid of the features
        customer_segment_features gives it) and next best action (the first matching rule, and the value it is
        expected to save), as customer_segments and customer_next_best_action choose them; none without churn
        scores to segment on."""
        if scores.empty or "risk_tier" not in scores or self._segments is None:
            return scores
        features = scores[scores["risk_tier"].notna() & scores["engagement_score"].notna()]
        if features.empty:
            return scores
        features = features.assign(
            monetary=features["monetary"].astype(float),
            value_band=np.where(features["is_high_value"].astype(bool), "high", "standard"),
        )
        segments = assign_segments(features, self._segments)[["customer_id", "segment_name"]]
        chosen = features.merge(segments, on="customer_id")
        candidates = chosen.merge(self.settings.next_best_action_rules, how="cross", suffixes=("", "_rule"))
        matching = np.logical_and.reduce(
            [
                (candidates[f"{column}_rule"] == "*") | (candidates[f"{column}_rule"] == candidates[column])
                for column in ["segment_name", "risk_tier", "value_band"]
            ]
        )
        actions = candidates[matching].sort_values(["customer_id", "rule_priority"]).drop_duplicates("customer_id")
        actions = actions.assign(
            expected_value_saved=actions["clv_12m"]
            * (actions["churn_probability"] * actions["retention_uplift"] + actions["upsell_uplift"])
        )[["customer_id", "segment_name", "next_best_action", "expected_value_saved"]]
        return scores.merge(actions, on="customer_id", how="left")

    def _rfm_and_clv(self, summary: pd.DataFrame) -> pd.DataFrame:
        """The RFM measures and CLV scores of the customers of `summary` (SUMMARY_SQL)."""
        if summary.empty:
            # Only orders staging will quarantine (a customer the CRM does not know), or cancelled ones.
            return pd.DataFrame(columns=["customer_id", *RFM_COLUMNS, *CLV_COLUMNS])
        settings = self.settings
        clv = score(summary, self._clv, settings.annual_discount_rate, settings.purchase_propensity_days)
        clv = clv[["customer_id", *CLV_COLUMNS]]
        # The summary's frequency and recency are the purchase model's; the RFM measures come prefixed.
        rfm = summary[["customer_id", *(f"rfm_{column}" for column in RFM_COLUMNS)]]
        rfm = rfm.rename(columns=lambda column: column.removeprefix("rfm_"))
        return rfm.merge(clv, on="customer_id", how="left")

    def _churn_scores(self, features: pd.DataFrame, buyers: pd.Series) -> pd.DataFrame:
        """CHURN_COLUMNS of `buyers`: the scores of those in the churn population (`features`, CHURN_FEATURES_SQL)
        but those whose live events came out of order; a buyer outside it is lapsed (churn probability 1), as
        customer_scores says."""
        lapsed = pd.DataFrame({"customer_id": buyers[~buyers.isin(features["customer_id"])]})
        lapsed = lapsed.assign(churn_probability=1.0, risk_tier="lapsed")
        features = features[~features["is_out_of_order"]]
        if features.empty:
            return lapsed
        risk = score_risk(features, self._churn, self.settings.churn_risk_tiers, self.settings.intervention_survival)
        drivers = [f"driver_{rank}" for rank in range(1, DRIVERS + 1)]
        risk["churn_drivers"] = risk[drivers].to_numpy().tolist()
        return pd.concat([risk[["customer_id", *CHURN_COLUMNS]], lapsed], ignore_index=True)

    def scores(self, customer_id: str) -> dict | None:
        scores, stamp = self._scored
        return scores.loc[customer_id].to_dict() | stamp if customer_id in scores.index else None

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
