"""The generator draws from the processes it claims, and its bad rows are exactly what it reports."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import numpy as np
import pytest
from conftest import relative_paths
from lifetimes import BetaGeoFitter, GammaGammaFitter
from scipy import stats

from customer_scoring.cli import main
from customer_scoring.generate import BAD_ROW_REASONS, GeneratorConfig, generate


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """20,000 customers with no injected defects, for parameter recovery."""
    root = tmp_path_factory.mktemp("clean")
    cfg = GeneratorConfig(
        customers=20_000, seed=3, bad_row_share=0.0, cancelled_order_share=0.0, malformed_email_share=0.0
    )
    generate(cfg, root / "raw", root / "truth")
    return cfg, root


def _rfm_summary(cfg: GeneratorConfig, orders: Path):
    """Repeat purchases, recency and age in days since the first purchase (continuous time)."""
    return duckdb.sql(
        f"""
        select
            count(*) - 1 as frequency,
            date_diff('second', min(cast(order_ts as timestamp)), max(cast(order_ts as timestamp))) / 86400 as recency,
            date_diff('second', min(cast(order_ts as timestamp)), timestamp '{cfg.end_date}' + interval 1 day) / 86400
                as age,
            avg(amount) as mean_spend
        from read_parquet('{orders}')
        group by customer_id
        """
    ).df()


def _within(fitter, truth: dict[str, float], n_se: float = 3.0):
    summary = fitter.summary
    for name, value in truth.items():
        coef, se = summary.loc[name, "coef"], summary.loc[name, "se(coef)"]
        assert abs(coef - value) <= n_se * se, f"{name}: fitted {coef:.4g} ± {se:.2g}, true {value}"


def test_purchases_follow_bgnbd_with_the_given_parameters(clean):
    cfg, root = clean
    summary = _rfm_summary(cfg, root / "raw" / "orders.parquet")
    fitter = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["age"])
    _within(fitter, {"r": cfg.r, "alpha": cfg.alpha, "a": cfg.a, "b": cfg.b})


def test_spend_follows_gamma_gamma_with_the_given_parameters(clean):
    cfg, root = clean
    summary = _rfm_summary(cfg, root / "raw" / "orders.parquet")
    buyers = summary[summary["frequency"] > 0]
    fitter = GammaGammaFitter().fit(buyers["frequency"] + 1, buyers["mean_spend"])
    _within(fitter, {"p": cfg.p_spend, "q": cfg.q, "v": cfg.gamma})


def test_truth_records_the_latent_draws_and_the_future(clean):
    cfg, root = clean
    truth = duckdb.sql(f"select * from read_parquet('{root / 'truth' / 'customers.parquet'}')").df()
    buyers = truth[truth["is_buyer"]]
    assert abs(truth["is_buyer"].mean() - (1 - cfg.never_buy_share)) < 0.01
    assert stats.kstest(truth["lambda"], stats.gamma(cfg.r, scale=1 / cfg.alpha).cdf).pvalue > 0.001
    assert stats.kstest(truth["p"], stats.beta(cfg.a, cfg.b).cdf).pvalue > 0.001
    # The living buy in the horizon at their own rate; the dropped never buy again.
    dead = buyers[~buyers["is_alive_at_cutoff"]]
    assert (dead["future_orders"] == 0).all()
    alive = buyers[buyers["is_alive_at_cutoff"]]
    assert alive["future_orders"].sum() > 0
    assert stats.spearmanr(alive["lambda"], alive["future_orders"]).statistic > 0.3


def test_engagement_rises_with_purchase_rate_and_fades_after_dropout(clean):
    cfg, root = clean
    per_customer = duckdb.sql(
        f"""
        select
            t.customer_id,
            t.lambda,
            t.is_alive_at_cutoff,
            count(e.event_id) as events,
            count(e.event_id) filter (
                where cast(e.event_ts as timestamp) > timestamp '{cfg.end_date}' - interval 30 day
            ) as events_last_30d
        from read_parquet('{root / "truth" / "customers.parquet"}') as t
        left join read_parquet('{root / "raw" / "web_events.parquet"}') as e on t.customer_id = e.customer_id
        where t.is_buyer
        group by all
        """
    ).df()
    alive = per_customer[per_customer["is_alive_at_cutoff"]]
    assert stats.spearmanr(alive["lambda"], alive["events"]).statistic > 0.3
    dead_recent = per_customer[~per_customer["is_alive_at_cutoff"]]["events_last_30d"].mean()
    assert dead_recent < 0.25 * alive["events_last_30d"].mean()


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    def digest(seed: int, name: str) -> str:
        out = tmp_path / f"{name}"
        generate(GeneratorConfig(customers=500, seed=seed), out / "raw", out / "truth")
        return hashlib.sha256((out / "raw" / "orders.parquet").read_bytes()).hexdigest()

    assert digest(1, "a") == digest(1, "b")
    assert digest(1, "a") != digest(2, "c")


def test_bad_rows_are_what_the_manifest_says(dataset):
    raw, manifest = dataset["raw"], dataset["manifest"]
    bad = manifest["bad_rows"]
    assert set(bad) == set(BAD_ROW_REASONS)
    assert all(n > 0 for reasons in bad.values() for n in reasons.values()), "every defect kind is injected"

    def count(table: str, where: str) -> int:
        return duckdb.sql(f"select count(*) from read_parquet('{raw / table}.parquet') where {where}").fetchall()[0][0]

    def repeats(table: str, key: str) -> int:
        query = f"select count({key}) - count(distinct {key}) from read_parquet('{raw / table}.parquet')"
        return duckdb.sql(query).fetchall()[0][0]

    assert count("orders", "order_id is null") == bad["orders"]["missing_order_id"]
    assert count("orders", "customer_id is null") == bad["orders"]["missing_customer_id"]
    # Amounts as staging reads them: a number that fits decimal(18, 2), else invalid.
    amount = "try_cast(cast(amount as varchar) as decimal(18, 2))"
    assert count("orders", "amount is null") == bad["orders"]["missing_amount"]
    assert count("orders", f"amount is not null and {amount} is null") == bad["orders"]["invalid_amount"]
    assert count("orders", f"{amount} < 0") == bad["orders"]["negative_amount"]
    assert count("orders", "try_cast(order_ts as timestamp) is null") == bad["orders"]["invalid_order_ts"]
    assert count("orders", "try_cast(order_ts as timestamp) > now()") == bad["orders"]["future_order_ts"]
    # The statuses the generator's valid orders carry.
    assert count("orders", "status not in ('completed', 'cancelled')") == bad["orders"]["invalid_status"]
    assert repeats("orders", "order_id") == bad["orders"]["duplicate_order_id"]
    assert count("crm_customers", "customer_id is null") == bad["crm_customers"]["missing_customer_id"]
    assert repeats("crm_customers", "customer_id") == bad["crm_customers"]["duplicate_customer_id"]
    assert (
        count("crm_customers", "try_cast(signup_date as date) is null") == bad["crm_customers"]["invalid_signup_date"]
    )
    assert (
        count("crm_customers", "email not like '%@%'") == manifest["field_issues"]["crm_customers"]["malformed_email"]
    )
    assert count("web_events", "event_id is null") == bad["web_events"]["missing_event_id"]
    assert repeats("web_events", "event_id") == bad["web_events"]["duplicate_event_id"]
    assert count("web_events", "duration_seconds < 0") == bad["web_events"]["negative_duration"]
    assert (
        count("web_events", "event_type not in ('page_view', 'feature_click')")
        == bad["web_events"]["unknown_event_type"]
    )
    invalid_kinds = duckdb.sql(
        f"select distinct cast(amount as varchar) from read_parquet('{raw / 'orders'}.parquet')"
        f" where amount is not null and {amount} is null"
    ).fetchall()
    assert sorted(kind for (kind,) in invalid_kinds) == ["-inf", "1e+30", "inf", "nan"]
    raw_rows = {name: count(name, "true") for name in manifest["raw_rows"]}
    assert raw_rows == manifest["raw_rows"]


def test_truth_stays_out_of_the_raw_directory(dataset):
    assert relative_paths(dataset["raw"]) == [
        "crm_customers.parquet",
        "live",
        "live/orders.jsonl",
        "live/web_events.jsonl",
        "orders.parquet",
        "web_events.parquet",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--customers", "0"], "--customers must be at least 1"),
        (["--seed", "-1"], "--seed must be at least 0"),
        (["--end-date", "2025-02-30"], "argument --end-date: not a calendar date (YYYY-MM-DD): '2025-02-30'"),
        (["--end-date", "garbage"], "argument --end-date: not a calendar date (YYYY-MM-DD): 'garbage'"),
    ],
    ids=["customers", "negative-seed", "impossible-date", "garbage-date"],
)
def test_refuses_bad_arguments_in_one_line_and_writes_nothing(args, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", *args, "--out", str(tmp_path / "raw"), "--truth", str(tmp_path / "truth")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith(f"error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_bad_row_share_scales_with_rows(dataset):
    orders_clean = dataset["manifest"]["raw_rows"]["orders"] - sum(dataset["manifest"]["bad_rows"]["orders"].values())
    expected = orders_clean * GeneratorConfig.bad_row_share
    for reason, n in dataset["manifest"]["bad_rows"]["orders"].items():
        assert abs(n - expected) < 5 * np.sqrt(expected), reason
