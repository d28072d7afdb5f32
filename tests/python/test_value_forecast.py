"""The value forecast: its features are point in time and reproduce the published scores where they meet them,
its fit survives the registry bit for bit, its back-test metrics are what they say, and it finds tomorrow's top
spenders better than the rankings the project had (generated truth; the real history is test_real_history)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import PROJECT_DIR

from customer_scoring.metrics import top_share_metrics
from customer_scoring.status import Unfittable
from customer_scoring.value import MODEL_NAME, ForecastSettings, ValueVersion, check_history, fit_forecast

# Floors on the e2e build's precision at the top fifth (measured on the default dataset: back-test 0.69 for the
# forecast, 0.66 value score, 0.49 RFM, 0.57 BG/NBD CLV; against the truth 0.70 vs 0.68).
BACKTEST_PRECISION_FLOOR = 0.6
TRUTH_PRECISION_FLOOR = 0.6


def _settings(dbt_vars) -> ForecastSettings:
    return ForecastSettings.of(
        {
            "settings": dbt_vars["value_forecast"],
            "numeric_features": dbt_vars["value_forecast_numeric_features"],
            "categorical_features": dbt_vars["value_forecast_categorical_features"],
            "high_value_share": dbt_vars["high_value_share"],
        }
    )


def test_the_features_contract_lists_the_features_in_the_vars_order(dbt_vars):
    models = yaml.safe_load((PROJECT_DIR / "models/marts/value/_value__models.yml").read_text())["models"]
    (features,) = [model for model in models if model["name"] == "customer_value_features"]
    columns = [column["name"] for column in features["columns"]]
    listed = dbt_vars["value_forecast_numeric_features"] + dbt_vars["value_forecast_categorical_features"]
    assert columns[2 : 2 + len(listed)] == listed


@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")  # spearman of all-zero spend
def test_top_share_metrics_count_ties_at_the_boundary_by_their_mean():
    actual = np.array([9.0, 8.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    perfect = top_share_metrics(actual, actual, 0.2)
    assert perfect["precision_at_top"] == perfect["accuracy_at_top"] == 1.0
    # The top scorer is a top spender; three tie for the second place, one of them a top spender.
    tied = top_share_metrics(actual, np.array([5.0, 1.0, 1.0, 1.0, 0, 0, 0, 0, 0, 0]), 0.2)
    assert tied["precision_at_top"] == pytest.approx((1 + 1 / 3) / 2)
    # With tops of equal size, accuracy is 1 - 2 x share x (1 - precision).
    assert tied["accuracy_at_top"] == pytest.approx(1 - 2 * 0.2 * (1 - tied["precision_at_top"]))
    # Customers who spent nothing are never a top spender, whatever the row order.
    assert top_share_metrics(np.zeros(10), np.arange(10.0), 0.2)["precision_at_top"] == 0.0


def test_a_history_too_short_to_back_test_says_what_it_needs(dbt_vars):
    cutoffs = pd.DataFrame(
        {
            "cutoff_date": pd.to_datetime(["2025-01-31", "2025-12-31"]),
            "is_scored": [False, True],
            "is_training": [True, False],
            "is_backtest_scored": [True, False],
            "is_backtest_training": [False, False],
            "customers": [10, 20],
        }
    )
    with pytest.raises(Unfittable, match="two 180-day windows"):
        check_history(cutoffs, _settings(dbt_vars))


def test_the_registered_forecast_predicts_what_the_fit_predicted(con, dbt_vars):
    rows = con.execute("select * from customer_value_features order by cutoff_date, customer_id").df()
    settings = _settings(dbt_vars)
    training = rows[rows["spend_next_180d"].notna()]
    fitted = fit_forecast(training, settings)
    registry = pd.DataFrame({"artifact": [fitted.to_artifact()]})
    restored = ValueVersion.from_registry(registry)
    for window, forecast in fitted.forecast(rows).items():
        np.testing.assert_array_equal(restored.forecast(rows)[window], forecast)
    np.testing.assert_array_equal(restored.contributions(rows), fitted.contributions(rows))
    # An orders-only history has no web usage to learn: the usage forecast is 0, through the registry too.
    orders_only = fit_forecast(training.assign(usage_minutes_next_30d=0.0), settings)
    registry = pd.DataFrame({"artifact": [orders_only.to_artifact()]})
    assert (ValueVersion.from_registry(registry).usage(rows) == 0).all()


def test_the_features_at_the_as_of_date_are_the_published_scores(con):
    """At the as-of cutoff the point-in-time features reproduce customer_value_score, customer_engagement and
    customer_rfm: the back-test's baselines are the published rankings as they would have stood."""
    rows = con.execute(
        """select f.value_score, v.value_score as published_value_score, f.engagement_score,
            e.engagement_score as published_engagement_score, f.rfm_score, r.r_score + r.f_score + r.m_score as rfm,
            f.lifetime_revenue, d.lifetime_revenue as published_revenue
        from customer_value_features as f
        inner join int_as_of_date as a on f.cutoff_date = a.as_of_date
        inner join customer_value_score as v on f.customer_id = v.customer_id
        inner join customer_engagement as e on f.customer_id = e.customer_id
        inner join dim_customers as d on f.customer_id = d.customer_id
        left join customer_rfm as r on f.customer_id = r.customer_id"""
    ).df()
    (customers,) = con.execute("select count(*) from dim_customers").fetchone()
    assert len(rows) == customers
    np.testing.assert_allclose(rows["value_score"], rows["published_value_score"], rtol=1e-12)
    np.testing.assert_allclose(rows["engagement_score"], rows["published_engagement_score"], rtol=1e-12)
    np.testing.assert_allclose(rows["lifetime_revenue"], rows["published_revenue"].astype(float), rtol=1e-12)
    buyers = rows[rows["rfm"].notna()]
    assert (buyers["rfm_score"] == buyers["rfm"]).all()


def test_features_see_only_the_past_and_labels_only_the_window_after(con, dbt_vars):
    settings, window = dbt_vars["value_forecast"], dbt_vars["engagement_window_days"]
    (usage_mismatches, usage_labels) = con.execute(
        f"""select count(*) filter (where abs(f.usage_minutes_next_30d - coalesce(u.minutes, 0)) > 1e-9),
            count(f.usage_minutes_next_30d)
        from customer_value_features as f
        left join (
            select f.customer_id, f.cutoff_date, sum(d.usage_minutes) as minutes
            from customer_value_features as f inner join int_customer_daily_activity as d
                on f.customer_id = d.customer_id and d.activity_date > f.cutoff_date
                and d.activity_date <= f.cutoff_date + to_days({window})
            group by all
        ) as u on f.customer_id = u.customer_id and f.cutoff_date = u.cutoff_date
        where f.usage_minutes_next_30d is not null"""
    ).fetchone()
    assert usage_mismatches == 0 and usage_labels > 0
    mismatches = con.execute(
        f"""with orders as (select customer_id, order_date, amount from fct_orders where is_revenue),
        recomputed as (
            select f.customer_id, f.cutoff_date, f.lifetime_revenue, f.spend_next_90d, f.spend_next_180d,
                coalesce(sum(o.amount) filter (where o.order_date <= f.cutoff_date), 0) as past,
                coalesce(sum(o.amount) filter (
                    where o.order_date > f.cutoff_date
                    and o.order_date <= f.cutoff_date + to_days({settings["short_days"]})), 0) as next_short,
                coalesce(sum(o.amount) filter (
                    where o.order_date > f.cutoff_date
                    and o.order_date <= f.cutoff_date + to_days({settings["long_days"]})), 0) as next_long
            from customer_value_features as f
            left join orders as o on f.customer_id = o.customer_id
            group by all
        )
        select count(*) filter (where abs(lifetime_revenue - past) > 1e-6),
            count(*) filter (where spend_next_90d is not null and abs(spend_next_90d - next_short) > 1e-6),
            count(*) filter (where spend_next_180d is not null and abs(spend_next_180d - next_long) > 1e-6),
            count(*) filter (where spend_next_180d is not null)
        from recomputed"""
    ).fetchone()
    assert mismatches[:3] == (0, 0, 0)
    assert mismatches[3] > 0, "some cutoffs are labelled"


def test_the_back_test_metrics_of_the_published_rankings_recompute_from_the_features(con, dbt_vars):
    metrics = con.execute("select ranking, metric_name, metric_value from value_forecast_metrics").df()
    metrics = metrics.set_index(["ranking", "metric_name"])["metric_value"]
    scored = con.execute(
        """select f.* from customer_value_features as f
        inner join int_value_forecast_cutoffs as c on f.cutoff_date = c.cutoff_date and c.is_backtest_scored
        order by f.customer_id"""
    ).df()
    share = dbt_vars["high_value_share"]
    for ranking in ["value_score", "engagement_score", "rfm_score"]:
        score = scored[ranking].astype(float).fillna(-np.inf)
        for name, value in top_share_metrics(scored["spend_next_180d"], score, share).items():
            assert metrics[ranking, name] == pytest.approx(value, rel=1e-12), (ranking, name)


def test_the_usage_forecast_ranks_next_months_usage_as_well_as_the_engagement_score(con):
    """The engagement score is no poor predictor: the learned usage forecast ties it here (0.697 against 0.700)
    and edges it on the default dataset (0.693 against 0.673)."""
    (forecast, score) = con.execute(
        """select max(metric_value) filter (where ranking = 'usage_forecast'),
            max(metric_value) filter (where ranking = 'engagement_score')
        from value_forecast_metrics where metric_name = 'next_usage_spearman'"""
    ).fetchone()
    print(f"Spearman with next month's usage: usage forecast {forecast:.3f}, engagement score {score:.3f}")
    assert forecast > 0.6 and forecast >= score - 0.01
    (missing,) = con.execute(
        "select count(*) - count(forecast_usage_minutes_30d) from customer_value_forecast"
    ).fetchone()
    assert missing == 0


def test_the_forecast_finds_the_next_top_spenders_better_than_the_rankings_it_had(con):
    metrics = con.execute("select ranking, metric_name, metric_value from value_forecast_metrics").df()
    precision = metrics[metrics["metric_name"] == "precision_at_top"].set_index("ranking")["metric_value"]
    print(f"back-test precision at the top: {precision.round(3).to_dict()}")
    assert precision[MODEL_NAME] >= BACKTEST_PRECISION_FLOOR
    assert precision[MODEL_NAME] > max(precision["rfm_score"], precision["bg_nbd_clv"], precision["value_score"])
    (status,) = con.execute("select status from model_status where model_family = 'value'").fetchone()
    assert status == "fitted"


def test_the_published_forecast_finds_the_truths_top_spenders(con, dataset, dbt_vars):
    truth = pd.read_parquet(dataset["truth"] / "customers.parquet")
    scores = con.execute(
        """select v.customer_id, v.value_score, f.forecast_spend_90d, f.forecast_spend_180d, f.is_high_value_forecast
        from customer_value_score as v inner join customer_value_forecast as f on v.customer_id = f.customer_id
        order by v.customer_id"""
    ).df()
    joined = scores.merge(truth, on="customer_id")
    assert len(joined) == len(scores) == len(truth)
    share = dbt_vars["high_value_share"]
    forecast = top_share_metrics(joined["future_spend_180d"], joined["forecast_spend_180d"], share)
    value = top_share_metrics(joined["future_spend_180d"], joined["value_score"], share)
    precision = {"forecast": forecast["precision_at_top"], "value score": value["precision_at_top"]}
    print(f"truth precision at the top: {precision}")
    assert forecast["precision_at_top"] >= TRUTH_PRECISION_FLOOR
    assert forecast["spearman"] > value["spearman"]
    assert joined["is_high_value_forecast"].mean() == pytest.approx(share, abs=0.01)
    assert (joined["forecast_spend_180d"] >= joined["forecast_spend_90d"]).all()
    # Forecasts are expected spend: their total is the truth's within a fifth.
    assert joined["forecast_spend_180d"].sum() == pytest.approx(joined["future_spend_180d"].sum(), rel=0.2)
