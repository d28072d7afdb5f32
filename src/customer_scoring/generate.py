"""Synthetic CRM customers, orders and web events drawn from the latent processes the models assume.

Purchases follow the BG/NBD story (Fader, Hardie & Lee 2005): each buyer makes a first purchase at
acquisition, then repeat purchases at Poisson rate ``lambda ~ Gamma(r, alpha)`` (per day) until, right
after a repeat purchase, they drop out with probability ``p ~ Beta(a, b)``. Spend per order follows
Gamma-Gamma (Fader, Hardie & Lee 2005b): ``nu ~ Gamma(q, gamma)``, each order ``z ~ Gamma(p_spend, nu)``.
Web sessions arrive at a rate that grows with ``lambda`` and spend, and fade after dropout.

The raw files are what a warehouse would load; the truth (latent parameters, whether each customer is
still alive at the cutoff, the orders and spend of the following ``horizon_days``, the orders of its first 30
days, and the bad rows injected per reason) goes to a separate directory that the warehouse never reads.

    customer-scoring generate --customers 10000 --seed 42 --out data/raw --truth data/truth
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from customer_scoring.cli import run_module
from customer_scoring.ingest import start_logs
from customer_scoring.progress import Progress

CHUNK_SIZE = 50_000  # customers per chunk: bounds memory, and fixes the data for a given seed
SECONDS_PER_DAY = 86_400
MAX_SESSION_GAP_SECONDS = 25 * 60  # events of one session stay closer than the 30-minute timeout
FADE_DAYS = 14.0  # after dropout, the session rate decays with this time constant

COUNTRIES = np.array(["US", "GB", "DE", "FR", "NL", "ES", "CA", "AU"])
COUNTRY_WEIGHTS = np.array([0.40, 0.15, 0.12, 0.08, 0.07, 0.06, 0.07, 0.05])
CHANNELS = np.array(["organic", "paid_search", "social", "referral", "email"])
CHANNEL_WEIGHTS = np.array([0.35, 0.25, 0.15, 0.15, 0.10])
PLANS = np.array(["free", "basic", "pro"])
PAGES = np.array(["home", "pricing", "product", "docs", "account", "checkout"])
FEATURES = np.array(["dashboard", "export", "share", "search", "alerts", "integrations"])

CRM_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("email", pa.string()),
        ("first_name", pa.string()),
        ("country", pa.string()),
        ("acquisition_channel", pa.string()),
        ("plan", pa.string()),
        ("signup_date", pa.string()),
        ("updated_at", pa.string()),
    ]
)
ORDERS_SCHEMA = pa.schema(
    [
        ("order_id", pa.string()),
        ("customer_id", pa.string()),
        ("order_ts", pa.string()),
        ("amount", pa.float64()),
        ("currency", pa.string()),
        ("status", pa.string()),
    ]
)
EVENTS_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("customer_id", pa.string()),
        ("event_ts", pa.string()),
        ("event_type", pa.string()),
        ("event_target", pa.string()),
        ("duration_seconds", pa.int64()),
    ]
)
RAW_SCHEMAS = {"crm_customers": CRM_SCHEMA, "orders": ORDERS_SCHEMA, "web_events": EVENTS_SCHEMA}


@dataclass(frozen=True)
class GeneratorConfig:
    customers: int = 10_000
    seed: int = 42
    end_date: str = "2025-12-31"  # observation cutoff: the last day of data in the raw files
    history_days: int = 3 * 365
    horizon_days: int = 365  # future window recorded in the truth only
    r: float = 0.75  # purchase rate lambda ~ Gamma(shape=r, rate=alpha), per day
    alpha: float = 40.0
    a: float = 0.8  # dropout probability p ~ Beta(a, b)
    b: float = 2.5
    p_spend: float = 6.0  # order value ~ Gamma(shape=p_spend, rate=nu), nu ~ Gamma(shape=q, rate=gamma)
    q: float = 4.0
    gamma: float = 15.0
    never_buy_share: float = 0.15  # sign up but never order
    anonymous_event_share: float = 0.05
    cancelled_order_share: float = 0.02  # valid rows that carry no revenue
    bad_row_share: float = 0.002  # per reason, as a share of the clean rows of that source
    malformed_email_share: float = 0.01  # a field-level defect: the customer stays, the email is nulled

    @property
    def start(self) -> np.datetime64:
        return (
            np.datetime64(self.end_date, "s")
            + np.timedelta64(SECONDS_PER_DAY, "s")
            - np.timedelta64(self.history_days * SECONDS_PER_DAY, "s")
        )


# The dbt source table each raw file is loaded as (the name quarantined_rows gives it).
SOURCE_TABLES = {"crm_customers": "crm.customers", "orders": "shop.orders", "web_events": "web.events"}
# The one list of rejection reasons: the warehouse checks and documents them, the generator injects them.
REJECTION_REASONS_SEED = Path(__file__).resolve().parents[2] / "seeds" / "rejection_reasons.csv"


def _bad_row_reasons() -> dict[str, list[str]]:
    """Raw file -> the reasons of its source table in the rejection_reasons seed, in the seed's order: one
    kind of defect to inject per reason."""
    with REJECTION_REASONS_SEED.open(newline="") as seed:
        rows = list(csv.DictReader(seed))
    return {
        name: [row["rejection_reason"] for row in rows if row["source_table"] == source]
        for name, source in SOURCE_TABLES.items()
    }


BAD_ROW_REASONS = _bad_row_reasons()


def _cannot_inject(source: str, reason: str) -> NotImplementedError:
    return NotImplementedError(f"the generator has no defect for {source} rejection reason {reason!r}")


def _timestamps(start: np.datetime64, days: np.ndarray) -> pa.Array:
    """`YYYY-MM-DD HH:MM:SS` text, as exports write times (Arrow's cast is much faster than strftime)."""
    seconds = start + (days * SECONDS_PER_DAY).astype("int64").astype("timedelta64[s]")
    return pc.cast(pa.array(seconds, type=pa.timestamp("s")), pa.string())


def _dates(start: np.datetime64, days: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(start.astype("datetime64[D]") + days.astype("int64").astype("timedelta64[D]")), pa.string())


def _ids(prefix: str, numbers: np.ndarray, width: int = 9) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


@dataclass
class _Chunk:
    """The latent state and clean rows of one chunk of customers."""

    customers: pa.Table
    orders: pa.Table
    events: pa.Table
    truth: pa.Table
    signup_day: np.ndarray
    future: dict[str, np.ndarray]  # the purchases drawn after the history: owner (row in the chunk), day, amount


def _simulate_purchases(cfg: GeneratorConfig, rng, birth, lam, p, is_buyer):
    """Purchase times (days since start) per customer until dropout or the end of the truth horizon."""
    end = cfg.history_days + cfg.horizon_days
    buyers = np.flatnonzero(is_buyer)
    owners, times = [buyers], [birth[buyers]]
    dropout_day = np.full(len(birth), np.inf)
    t = birth.copy()
    active = buyers
    while active.size:
        t[active] += rng.exponential(1.0 / lam[active])
        active = active[t[active] < end]
        owners.append(active)
        times.append(t[active])
        drops = rng.random(active.size) < p[active]
        dropout_day[active[drops]] = t[active[drops]]
        active = active[~drops]
    return np.concatenate(owners), np.concatenate(times), dropout_day


def _simulate_sessions(cfg: GeneratorConfig, rng, signup_day, dropout_day, session_rate):
    """Session start days: a Poisson process at session_rate until dropout, fading exponentially after."""
    cutoff = float(cfg.history_days)
    alive_end = np.minimum(dropout_day, cutoff)
    alive_len = np.clip(alive_end - signup_day, 0, None)
    n_alive = rng.poisson(session_rate * alive_len)
    owner_alive = np.repeat(np.arange(len(signup_day)), n_alive)
    day_alive = signup_day[owner_alive] + rng.random(owner_alive.size) * alive_len[owner_alive]

    faded_since = np.where(np.isfinite(dropout_day), np.maximum(dropout_day, signup_day), np.inf)
    fade_len = np.clip(cutoff - faded_since, 0, None)
    fade_mass = 1.0 - np.exp(-fade_len / FADE_DAYS)
    n_fade = rng.poisson(session_rate * FADE_DAYS * fade_mass)
    owner_fade = np.repeat(np.arange(len(signup_day)), n_fade)
    u = rng.random(owner_fade.size)
    day_fade = faded_since[owner_fade] - FADE_DAYS * np.log1p(-u * fade_mass[owner_fade])
    return np.concatenate([owner_alive, owner_fade]), np.concatenate([day_alive, day_fade])


def _simulate_chunk(cfg: GeneratorConfig, chunk_index: int, first_id: int, n: int) -> _Chunk:
    rng = np.random.default_rng([cfg.seed, chunk_index])
    ids = _ids("C", np.arange(first_id, first_id + n))

    # Acquisition grows over time: density of the first purchase rises towards the cutoff.
    birth = cfg.history_days * rng.random(n) ** (1 / 1.3)
    signup_day = np.floor(np.clip(birth - rng.exponential(3.0, n), 0, None))
    is_buyer = rng.random(n) >= cfg.never_buy_share
    lam = rng.gamma(cfg.r, 1.0 / cfg.alpha, n)
    p = rng.beta(cfg.a, cfg.b, n)
    nu = rng.gamma(cfg.q, 1.0 / cfg.gamma, n)

    owner, day, dropout_day = _simulate_purchases(cfg, rng, birth, lam, p, is_buyer)
    amount = np.round(rng.gamma(cfg.p_spend, 1.0 / nu[owner]), 2)
    observed = day < cfg.history_days
    future = ~observed
    truth = pa.table(
        {
            "customer_id": ids,
            "is_buyer": is_buyer,
            "lambda": lam,
            "p": p,
            "nu": nu,
            "expected_order_value": cfg.p_spend / nu,
            "is_alive_at_cutoff": is_buyer & (dropout_day >= cfg.history_days),
            "observed_orders": np.bincount(owner[observed], minlength=n),
            "future_orders": np.bincount(owner[future], minlength=n),
            "future_orders_30d": np.bincount(owner[future & (day < cfg.history_days + 30)], minlength=n),
            "future_spend": np.bincount(owner[future], weights=amount[future], minlength=n),
            **{
                f"future_spend_{days}d": np.bincount(owner[soon], weights=amount[soon], minlength=n)
                for days, soon in ((days, future & (day < cfg.history_days + days)) for days in (90, 180))
            },
        }
    )

    order_owner, order_day, order_amount = owner[observed], day[observed], amount[observed]
    status = np.where(rng.random(order_owner.size) < cfg.cancelled_order_share, "cancelled", "completed")
    order_seq = np.arange(order_owner.size)
    orders = pa.table(
        {
            "order_id": _ids(f"O{chunk_index:04d}-", order_seq),
            "customer_id": ids.take(pa.array(order_owner)),
            "order_ts": _timestamps(cfg.start, order_day),
            "amount": order_amount,
            "currency": np.full(order_owner.size, "USD"),
            "status": status,
        },
        schema=ORDERS_SCHEMA,
    )

    # Engagement rises with purchase rate and spend; never-buyers browse a little and lose interest.
    mean_lam = cfg.r / cfg.alpha
    mean_value = cfg.p_spend * cfg.gamma / (cfg.q - 1)
    affinity = (lam / mean_lam) ** 0.8 * ((cfg.p_spend / nu) / mean_value) ** 0.5
    session_rate = 0.1 * affinity * rng.lognormal(0.0, 0.3, n)
    session_rate[~is_buyer] = 0.02 * rng.lognormal(0.0, 0.4, (~is_buyer).sum())
    interest_lost_day = np.where(is_buyer, dropout_day, signup_day)
    sess_owner, sess_day = _simulate_sessions(cfg, rng, signup_day, interest_lost_day, session_rate)
    events = _session_events(cfg, rng, chunk_index, ids, sess_owner, sess_day, affinity)

    plan = np.where(lam > 2 * mean_lam, "pro", np.where(rng.random(n) < 0.5, "basic", "free"))
    customers = pa.table(
        {
            "customer_id": ids,
            "email": np.char.add(
                np.char.add("customer", np.arange(first_id, first_id + n).astype(str)), "@example.com"
            ),
            "first_name": rng.choice(np.array(["Alex", "Sam", "Robin", "Maria", "Jun", "Noor", "Lea", "Tom"]), n),
            "country": rng.choice(COUNTRIES, n, p=COUNTRY_WEIGHTS),
            "acquisition_channel": rng.choice(CHANNELS, n, p=CHANNEL_WEIGHTS),
            "plan": plan,
            "signup_date": _dates(cfg.start, signup_day),
            "updated_at": _timestamps(cfg.start, np.minimum(signup_day + rng.random(n) * 30, cfg.history_days - 0.01)),
        },
        schema=CRM_SCHEMA,
    )
    future_purchases = {"owner": owner[future], "day": day[future], "amount": amount[future]}
    return _Chunk(customers, orders, events, truth, signup_day, future_purchases)


def _session_events(cfg, rng, chunk_index, ids, sess_owner, sess_day, affinity) -> pa.Table:
    """Expand sessions into events: a first page view, then page views and feature clicks seconds apart."""
    per_session = 1 + rng.poisson(1.0 + np.minimum(affinity[sess_owner], 4.0))
    session_of_event = np.repeat(np.arange(sess_owner.size), per_session)
    first_in_session = np.r_[0, np.cumsum(per_session)[:-1]]
    gap_seconds = np.minimum(rng.exponential(90.0, session_of_event.size), MAX_SESSION_GAP_SECONDS)
    gap_seconds[first_in_session] = 0.0
    offset = np.cumsum(gap_seconds)
    offset -= np.repeat(offset[first_in_session], per_session)
    event_day = sess_day[session_of_event] + offset / SECONDS_PER_DAY
    keep = event_day < cfg.history_days
    session_of_event, event_day = session_of_event[keep], event_day[keep]
    first = np.zeros(keep.size, dtype=bool)
    first[first_in_session] = True
    is_click = (rng.random(session_of_event.size) < 0.35) & ~first[keep]

    owner = sess_owner[session_of_event]
    customer = ids.take(pa.array(owner))
    anonymous = rng.random(owner.size) < cfg.anonymous_event_share
    customer = pc.if_else(pa.array(anonymous), pa.scalar(None, pa.string()), customer)
    return pa.table(
        {
            "event_id": _ids(f"E{chunk_index:04d}-", np.arange(owner.size), 10),
            "customer_id": customer,
            "event_ts": _timestamps(cfg.start, event_day),
            "event_type": np.where(is_click, "feature_click", "page_view"),
            "event_target": np.where(is_click, rng.choice(FEATURES, owner.size), rng.choice(PAGES, owner.size)),
            "duration_seconds": np.round(rng.lognormal(3.4, 0.8, owner.size)).astype("int64"),
        },
        schema=EVENTS_SCHEMA,
    )


def _with_column(table: pa.Table, name: str, values) -> pa.Table:
    field = table.schema.field(name)
    if not isinstance(values, pa.Array):
        values = pa.array(values, field.type)
    return table.set_column(table.schema.get_field_index(name), field, values)


def _inject_bad_rows(cfg: GeneratorConfig, chunk: _Chunk, chunk_index: int, rng) -> tuple[dict, Counter]:
    """Append rows with exactly one defect each; return the tables and the count per (source, reason)."""
    counts: Counter = Counter()
    tag = f"{chunk_index:04d}"
    future_start = np.datetime64(cfg.end_date, "s") + np.timedelta64(20 * 365 * SECONDS_PER_DAY, "s")

    def sample(table: pa.Table, reason: str, source: str) -> pa.Table:
        k = rng.binomial(table.num_rows, cfg.bad_row_share) if table.num_rows else 0
        counts[(source, reason)] += k
        return table.take(pa.array(rng.integers(0, table.num_rows, k), type=pa.int64()))

    customers = chunk.customers
    bad = []
    for reason in BAD_ROW_REASONS["crm_customers"]:
        rows = sample(customers, reason, "crm_customers")
        if reason == "missing_customer_id":
            rows = _with_column(rows, "customer_id", [None] * rows.num_rows)
        elif reason == "invalid_signup_date":
            rows = _with_column(rows, "customer_id", [f"CB{tag}-{i}" for i in range(rows.num_rows)])
            rows = _with_column(
                rows, "signup_date", rng.choice(["not a date", "2024-13-45", "31/02/2023"], rows.num_rows)
            )
        elif reason != "duplicate_customer_id":  # a duplicate is an exact copy
            raise _cannot_inject("crm_customers", reason)
        bad.append(rows)
    # Malformed emails stay on their customer: the email is a field, the customer is still real.
    malformed = rng.random(customers.num_rows) < cfg.malformed_email_share
    counts[("crm_customers", "malformed_email")] += int(malformed.sum())
    emails = pc.if_else(malformed, pc.replace_substring(customers["email"], "@", " at "), customers["email"])
    customers = pa.concat_tables([_with_column(customers, "email", emails.combine_chunks()), *bad])

    orders = chunk.orders
    bad = []
    for i, reason in enumerate(BAD_ROW_REASONS["orders"]):
        rows = sample(chunk.orders, reason, "orders")
        new_ids = [f"OB{tag}-{i}-{j}" for j in range(rows.num_rows)]
        if reason != "duplicate_order_id":
            rows = _with_column(rows, "order_id", new_ids)
        if reason == "missing_order_id":
            rows = _with_column(rows, "order_id", [None] * rows.num_rows)
        elif reason == "missing_customer_id":
            rows = _with_column(rows, "customer_id", [None] * rows.num_rows)
        elif reason == "missing_amount":
            rows = _with_column(rows, "amount", [None] * rows.num_rows)
        elif reason == "invalid_amount":
            # Present but no decimal(18, 2): what a broken export or a unit bug writes into a double.
            rows = _with_column(rows, "amount", rng.choice([np.nan, np.inf, -np.inf, 1e30], rows.num_rows))
        elif reason == "negative_amount":
            rows = _with_column(rows, "amount", -rng.uniform(1, 100, rows.num_rows).round(2))
        elif reason == "invalid_order_ts":
            rows = _with_column(rows, "order_ts", rng.choice(["", "yesterday", "2024-02-30 10:00:00"], rows.num_rows))
        elif reason == "future_order_ts":
            rows = _with_column(rows, "order_ts", _timestamps(future_start, rng.uniform(0, 365, rows.num_rows)))
        elif reason == "unknown_customer":
            rows = _with_column(rows, "customer_id", [f"CU{tag}-{j}" for j in range(rows.num_rows)])
        elif reason == "order_before_signup":
            owner_signup = _signup_day_of(chunk, rows["customer_id"])
            rows = _with_column(
                rows, "order_ts", _timestamps(cfg.start, owner_signup - rng.uniform(1, 60, rows.num_rows))
            )
        elif reason == "invalid_status":
            rows = _with_column(rows, "status", rng.choice(["shipped", "PENDING", "on hold"], rows.num_rows))
        elif reason != "duplicate_order_id":
            raise _cannot_inject("orders", reason)
        bad.append(rows)
    orders = pa.concat_tables([orders, *bad])

    events = chunk.events
    identified = events.filter(pc.is_valid(events["customer_id"]))
    bad = []
    for i, reason in enumerate(BAD_ROW_REASONS["web_events"]):
        rows = sample(identified, reason, "web_events")
        if reason != "duplicate_event_id":
            rows = _with_column(rows, "event_id", [f"EB{tag}-{i}-{j}" for j in range(rows.num_rows)])
        if reason == "missing_event_id":
            rows = _with_column(rows, "event_id", [None] * rows.num_rows)
        elif reason == "invalid_event_ts":
            rows = _with_column(rows, "event_ts", rng.choice(["", "n/a", "2025-00-10 12:00:00"], rows.num_rows))
        elif reason == "future_event_ts":
            rows = _with_column(rows, "event_ts", _timestamps(future_start, rng.uniform(0, 365, rows.num_rows)))
        elif reason == "negative_duration":
            rows = _with_column(rows, "duration_seconds", -rng.integers(1, 600, rows.num_rows))
        elif reason == "unknown_event_type":
            rows = _with_column(rows, "event_type", rng.choice(["PAGEVIEW", "hover", "unknown"], rows.num_rows))
        elif reason == "unknown_customer":
            rows = _with_column(rows, "customer_id", [f"CU{tag}-{j}" for j in range(rows.num_rows)])
        elif reason != "duplicate_event_id":
            raise _cannot_inject("web_events", reason)
        bad.append(rows)
    events = pa.concat_tables([events, *bad])
    return {"crm_customers": customers, "orders": orders, "web_events": events}, counts


def _signup_day_of(chunk: _Chunk, customer_ids: pa.ChunkedArray) -> np.ndarray:
    index = pc.index_in(customer_ids, value_set=chunk.customers["customer_id"]).to_numpy()
    return chunk.signup_day[index]


def _shuffled(table: pa.Table, rng) -> pa.Table:
    # Real exports are not sorted by entity; neither are ours, so no model can lean on row order.
    return table.take(pa.array(rng.permutation(table.num_rows)))


def generate(cfg: GeneratorConfig, out_dir: Path, truth_dir: Path) -> dict:
    """Write the three raw parquet files (and empty live logs) to out_dir and the truth to truth_dir; return the
    manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    writers = {name: pq.ParquetWriter(out_dir / f"{name}.parquet", schema) for name, schema in RAW_SCHEMAS.items()}
    truth_writer = None
    bad_rows: Counter = Counter()
    rows: Counter = Counter()
    try:
        with Progress("generate", cfg.customers, "customers") as progress:
            for chunk_index, first_id in enumerate(range(0, cfg.customers, CHUNK_SIZE)):
                n = min(CHUNK_SIZE, cfg.customers - first_id)
                chunk = _simulate_chunk(cfg, chunk_index, first_id, n)
                rng = np.random.default_rng([cfg.seed, chunk_index, 1])
                tables, counts = _inject_bad_rows(cfg, chunk, chunk_index, rng)
                bad_rows.update(counts)
                for name, table in tables.items():
                    writers[name].write_table(_shuffled(table, rng))
                    rows[name] += table.num_rows
                truth_writer = truth_writer or pq.ParquetWriter(truth_dir / "customers.parquet", chunk.truth.schema)
                truth_writer.write_table(chunk.truth)
                progress.advance(n)
    finally:
        for writer in writers.values():
            writer.close()
        if truth_writer:
            truth_writer.close()

    manifest = {
        "config": asdict(cfg),
        "cutoff_date": cfg.end_date,
        "raw_rows": dict(rows),
        "bad_rows": {
            source: {reason: bad_rows[(source, reason)] for reason in reasons}
            for source, reasons in BAD_ROW_REASONS.items()
        },
        "field_issues": {"crm_customers": {"malformed_email": bad_rows[("crm_customers", "malformed_email")]}},
    }
    (truth_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    start_logs(out_dir, empty=True)
    return manifest


def future_purchases(cfg: GeneratorConfig, window_days: int) -> tuple[pd.DataFrame, pd.Series]:
    """The purchases the simulation drew in the `window_days` after the history (customer_id, day since the start,
    amount; before any campaign response) and every customer's expected order value (by customer_id)."""
    window: list[pd.DataFrame] = []
    order_value: list[pd.Series] = []
    for chunk_index, first_id in enumerate(range(0, cfg.customers, CHUNK_SIZE)):
        chunk = _simulate_chunk(cfg, chunk_index, first_id, min(CHUNK_SIZE, cfg.customers - first_id))
        ids = chunk.truth["customer_id"].to_numpy(zero_copy_only=False)
        future = chunk.future
        inside = future["day"] < cfg.history_days + window_days
        window.append(
            pd.DataFrame(
                {
                    "customer_id": ids[future["owner"][inside]],
                    "day": future["day"][inside],
                    "amount": future["amount"][inside],
                }
            )
        )
        order_value.append(pd.Series(chunk.truth["expected_order_value"].to_numpy(), index=ids))
    return pd.concat(window, ignore_index=True), pd.concat(order_value)


def campaign_orders(
    cfg: GeneratorConfig, entrants: pd.DataFrame, effects: dict[str, float], window_days: int
) -> tuple[pa.Table, pd.DataFrame]:
    """The orders of the `window_days` after the history: the purchases the simulation drew there, all completed,
    with a campaign response. An entrant a campaign was sent to (`entrants`: campaign_id, customer_id, is_control;
    one campaign per customer) with effect e > 0 (`effects`, by campaign) makes Poisson(e) more orders in the
    window, at its usual order value; with e < 0 it loses each of its window orders with probability -e. Control
    entrants and everyone else buy as simulated. Returns the orders (ORDERS_SCHEMA) and, per campaign, the true
    uplift of retention (any order), orders and revenue over all its entrants: what campaign_uplift's difference
    of means between sent and held out estimates."""
    if entrants["customer_id"].duplicated().any():
        raise ValueError("a customer entered more than one campaign: their effects would mix")
    rng = np.random.default_rng([cfg.seed, 16])
    orders, expected_value = future_purchases(cfg, window_days)
    entrants = entrants.set_index("customer_id")
    effect = entrants["campaign_id"].map(effects).where(~entrants["is_control"], 0.0)
    per_order = orders["customer_id"].map(effect).fillna(0.0)
    kept = orders[~(rng.random(len(orders)) < (-per_order).clip(lower=0))]
    extra_counts = rng.poisson(effect.clip(lower=0))
    owners = np.repeat(effect.index.to_numpy(), extra_counts)
    extra = pd.DataFrame(
        {
            "customer_id": owners,
            "day": cfg.history_days + window_days * rng.random(len(owners)),
            "amount": np.round(rng.gamma(cfg.p_spend, expected_value[owners].to_numpy() / cfg.p_spend), 2),
        }
    )
    placed = pd.concat([kept, extra], ignore_index=True).sort_values(["day", "customer_id"], ignore_index=True)
    table = pa.table(
        {
            "order_id": _ids("CAMPAIGN-", np.arange(len(placed))),
            "customer_id": pa.array(placed["customer_id"], pa.string()),
            "order_ts": _timestamps(cfg.start, placed["day"].to_numpy()),
            "amount": placed["amount"].to_numpy(),
            "currency": np.full(len(placed), "USD"),
            "status": np.full(len(placed), "completed"),
        },
        schema=ORDERS_SCHEMA,
    )
    base = orders.groupby("customer_id").agg(orders=("amount", "size"), revenue=("amount", "sum"))
    base = base.reindex(entrants.index, fill_value=0)
    size = entrants["campaign_id"].map(effects)
    bought = (base["orders"] > 0).astype(float)
    gain = pd.DataFrame(
        {
            "retention": np.where(
                size > 0,
                (1 - bought) * (1 - np.exp(-size.clip(lower=0))),
                -bought * (-size).clip(lower=0) ** base["orders"],
            ),
            "orders": np.where(size > 0, size, size * base["orders"]),
            "revenue": np.where(size > 0, size * expected_value[entrants.index], size * base["revenue"]),
        },
        index=entrants.index,
    )
    truth = gain.groupby(entrants["campaign_id"]).mean()
    return table, truth


def _iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a calendar date (YYYY-MM-DD): {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--customers", type=int, default=GeneratorConfig.customers)
    parser.add_argument("--seed", type=int, default=GeneratorConfig.seed, help="random seed (0 or more)")
    parser.add_argument(
        "--end-date", type=_iso_date, default=GeneratorConfig.end_date, help="last day of observed data (YYYY-MM-DD)"
    )
    parser.add_argument("--out", type=Path, default=Path("data/raw"), help="directory for the raw parquet files")
    parser.add_argument("--truth", type=Path, default=Path("data/truth"), help="directory for the ground truth")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    if args.customers < 1:
        parser.error("--customers must be at least 1")
    if args.seed < 0:
        # numpy's generators take only non-negative seeds.
        parser.error("--seed must be at least 0")
    cfg = GeneratorConfig(customers=args.customers, seed=args.seed, end_date=args.end_date)
    manifest = generate(cfg, args.out, args.truth)
    print(f"wrote {manifest['raw_rows']} to {args.out}, truth to {args.truth}")


if __name__ == "__main__":
    sys.exit(run_module(sys.modules[__name__]))
