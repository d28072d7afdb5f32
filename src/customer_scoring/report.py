"""One static HTML report of the published scores: charts as inline SVG, no server and no network.

customer-scoring report [--warehouse data/warehouse.duckdb] [--out reports/customer_scores.html]
"""

from __future__ import annotations

import argparse
import html
import io
import os
import sys
import textwrap
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from customer_scoring.cli import run_module

ENGAGEMENT_METRICS = ["sessions", "usage_minutes", "pages_viewed", "features_clicked", "avg_session_minutes"]
# Marks each chart with its drawn size once a browser has laid the page out (the render test reads it).
RENDER_CHECK = """<script>
window.addEventListener("load", () => document.querySelectorAll("figure.chart:not(.skipped)").forEach((figure) => {
  const box = figure.querySelector("svg").getBoundingClientRect();
  figure.dataset.rendered = `${Math.round(box.width)}x${Math.round(box.height)}`;
}));
</script>"""
STYLE = """<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(500px, 1fr)); gap: 1.5rem; }
figure { margin: 0; } figure svg { width: 100%; height: auto; }
table { border-collapse: collapse; } td, th { padding: .25rem .75rem; border-bottom: 1px solid #ddd; text-align: left; }
</style>"""


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    return buffer.getvalue()[buffer.getvalue().index("<svg") :]


def _axes(title: str, xlabel: str, ylabel: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(6.4, 4.2))
    ax = figure.subplots()
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(alpha=0.3)
    return figure, ax


def engagement_distribution(con: duckdb.DuckDBPyConnection) -> Figure:
    scores = con.execute("select engagement_score from customer_engagement").df()["engagement_score"]
    figure, ax = _axes("Engagement score", "engagement score (0-100)", "customers")
    ax.hist(scores, bins=40, color="#4477aa")
    return figure


def engagement_correlation(con: duckdb.DuckDBPyConnection) -> Figure:
    metrics = con.execute(f"select {', '.join(ENGAGEMENT_METRICS)} from customer_engagement").df()
    correlation = metrics.corr(method="spearman")
    figure = Figure(figsize=(6.4, 5.2))
    ax = figure.subplots()
    image = ax.imshow(correlation, vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_xticks(range(len(ENGAGEMENT_METRICS)), ENGAGEMENT_METRICS, rotation=35, ha="right")
    ax.set_yticks(range(len(ENGAGEMENT_METRICS)), ENGAGEMENT_METRICS)
    for (row, column), value in np.ndenumerate(correlation.to_numpy()):
        ax.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=8)
    ax.set_title("Engagement metrics: Spearman correlation")
    figure.colorbar(image, ax=ax)
    return figure


def value_score_distribution(con: duckdb.DuckDBPyConnection) -> Figure:
    scores = con.execute("select value_score, is_high_value from customer_value_score").df()
    figure, ax = _axes("Customer value score", "value score (0-100)", "customers")
    ax.hist(
        [scores.loc[~scores["is_high_value"], "value_score"], scores.loc[scores["is_high_value"], "value_score"]],
        bins=40,
        stacked=True,
        color=["#bbbbbb", "#228833"],
        label=["other", "high value"],
    )
    ax.legend()
    return figure


def tenure_vs_value(con: duckdb.DuckDBPyConnection) -> Figure:
    points = con.execute(
        "select tenure_days, value_score from customer_value_score using sample reservoir(5000 rows) repeatable (7)"
    ).df()
    correlation = points["tenure_days"].corr(points["value_score"])
    figure, ax = _axes(f"Tenure vs value score (r = {correlation:.2f})", "tenure (days)", "value score")
    ax.scatter(points["tenure_days"], points["value_score"], s=4, alpha=0.3, color="#4477aa")
    return figure


def clv_calibration(con: duckdb.DuckDBPyConnection) -> Figure:
    calibration = con.execute("select * from clv_holdout_calibration order by calibration_frequency").df()
    figure, ax = _axes(
        "CLV calibration on the holdout",
        "repeat purchases in the calibration period (7 = 7+)",
        "mean purchases in the holdout",
    )
    actual = calibration.groupby("calibration_frequency")["mean_actual_purchases"].first()
    ax.plot(actual.index, actual, "ko-", label="actual")
    for model_name, rows in calibration.groupby("model_name"):
        ax.plot(rows["calibration_frequency"], rows["mean_predicted_purchases"], "--", marker="s", label=model_name)
    ax.legend()
    return figure


def purchase_probability_calibration(con: duckdb.DuckDBPyConnection) -> Figure:
    calibration = con.execute("select * from purchase_probability_calibration order by probability_decile").df()
    figure, ax = _axes(
        "Purchase probability calibration on the holdout",
        "mean predicted probability of a purchase in the window",
        "share who bought",
    )
    for model_name, rows in calibration.groupby("model_name"):
        ax.plot(rows["mean_predicted_probability"], rows["share_bought"], marker="s", label=model_name)
    top = float(calibration[["mean_predicted_probability", "share_bought"]].max().max())
    ax.plot([0, top], [0, top], color="grey", linestyle=":", label="calibrated")
    ax.legend()
    return figure


def _churn_holdout(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "select model_name, churned, churn_probability from churn_holdout_predictions "
        "where churn_probability is not null"
    ).df()


def churn_lift(con: duckdb.DuckDBPyConnection) -> Figure:
    figure, ax = _axes("Churn: cumulative lift on the held-out cutoff", "share of customers targeted", "lift")
    for model_name, rows in _churn_holdout(con).groupby("model_name"):
        churned = rows.sort_values("churn_probability", ascending=False)["churned"].to_numpy()
        share = np.arange(1, len(churned) + 1) / len(churned)
        ax.plot(share, np.cumsum(churned) / np.arange(1, len(churned) + 1) / churned.mean(), label=model_name)
    ax.axhline(1, color="grey", linestyle=":")
    ax.legend()
    return figure


def churn_roc(con: duckdb.DuckDBPyConnection) -> Figure:
    figure, ax = _axes("Churn: ROC on the held-out cutoff", "false positive rate", "true positive rate")
    for model_name, rows in _churn_holdout(con).groupby("model_name"):
        fpr, tpr, _ = roc_curve(rows["churned"], rows["churn_probability"])
        ax.plot(fpr, tpr, label=model_name)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.legend()
    return figure


def _tree(leaves: pd.DataFrame, mean_column: str, what: str, color: str) -> tuple[Figure, Axes, float]:
    """A surrogate tree's leaves as bars of their mean prediction, labelled with their rules."""
    fidelity = leaves["fidelity_r2"].iloc[0] if len(leaves) else float("nan")
    figure = Figure(figsize=(10.0, 0.5 * len(leaves) + 1.4))
    ax = figure.subplots()
    labels = [
        f"{textwrap.fill(rule, 60)}  ({share:.0%})"
        for rule, share in zip(leaves["rule"], leaves["row_share"], strict=True)
    ]
    ax.barh(range(len(leaves)), leaves[mean_column], color=color)
    ax.set_yticks(range(len(leaves)), labels, fontsize=6.5)
    ax.set_xlabel(f"mean {what} in the leaf (share of customers)")
    return figure, ax, fidelity


def churn_surrogate_tree(con: duckdb.DuckDBPyConnection) -> Figure:
    leaves = con.execute("select * from churn_surrogate_tree order by leaf_id desc").df()
    figure, ax, fidelity = _tree(leaves, "mean_churn_probability", "churn probability", "#cc6677")
    ax.set_xlim(0, 1)
    ax.set_title(f"The churn model as a decision tree (fidelity R² {fidelity:.2f})")
    figure.tight_layout()
    return figure


def value_forecast_tree(con: duckdb.DuckDBPyConnection) -> Figure:
    leaves = con.execute("select * from value_forecast_surrogate_tree order by leaf_id desc").df()
    figure, ax, fidelity = _tree(leaves, "mean_forecast_spend_180d", "forecast 180-day spend", "#228833")
    ax.set_title(f"The value forecast as a decision tree (fidelity R² {fidelity:.2f})")
    figure.tight_layout()
    return figure


def value_forecast_rankings(con: duckdb.DuckDBPyConnection) -> Figure:
    metrics = con.execute(
        "select ranking, metric_value from value_forecast_metrics where metric_name = 'precision_at_top' order by 2"
    ).df()
    figure, ax = _axes(
        "Finding the next 180 days' top spenders (back-test)", "precision at the top (share really in the top)", ""
    )
    ax.barh(metrics["ranking"], metrics["metric_value"], color="#228833")
    ax.set_xlim(0, 1)
    return figure


def segment_sizes(con: duckdb.DuckDBPyConnection) -> Figure:
    profiles = con.execute("select segment_name, customers from customer_segment_profiles order by customers").df()
    figure, ax = _axes("Segment sizes", "customers", "")
    ax.barh(profiles["segment_name"], profiles["customers"], color="#4477aa")
    return figure


def segment_profiles(con: duckdb.DuckDBPyConnection) -> Figure:
    profiles = con.execute("select * from customer_segment_profiles order by avg_clv_12m desc").df()
    # One column per segment feature, as the profiles mart averages them (the segment_features var).
    profile_columns = [column for column in profiles.columns if column.startswith("avg_")]
    values = profiles[profile_columns]
    standardized = (values - values.mean()) / values.std(ddof=0).replace(0, 1)
    figure = Figure(figsize=(6.4, 4.2))
    ax = figure.subplots()
    ax.imshow(standardized, cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto")
    ax.set_xticks(
        range(len(profile_columns)), [c.removeprefix("avg_") for c in profile_columns], rotation=35, ha="right"
    )
    ax.set_yticks(range(len(profiles)), profiles["segment_name"])
    for (row, column), value in np.ndenumerate(values.to_numpy()):
        ax.text(column, row, f"{value:.3g}", ha="center", va="center", fontsize=7)
    ax.set_title("Segment profiles (colour: above / below the other segments)")
    return figure


def revenue_forecast(con: duckdb.DuckDBPyConnection) -> Figure:
    forecast = con.execute("select * from revenue_forecast order by forecast_month").df()
    figure, ax = _axes("Revenue forecast by month", "month ending", "revenue")
    months = forecast["period_end"]
    band = forecast["revenue_lower"], forecast["revenue_upper"]
    ax.fill_between(months, *band, color="#4477aa", alpha=0.25, label="band")
    ax.plot(months, forecast["expected_revenue"], color="#4477aa", marker="o", label="expected")
    ax.plot(months, forecast["existing_customer_revenue"], color="#228833", linestyle="--", label="customers today")
    ax.plot(months, forecast["new_customer_revenue"], color="#ee6677", linestyle=":", label="new customers")
    ax.set_ylim(bottom=0)
    ax.legend()
    figure.autofmt_xdate()
    return figure


def budget_scenarios(con: duckdb.DuckDBPyConnection) -> Figure:
    scenarios = con.execute("select * from budget_scenarios order by uplift_multiplier, budget").df()
    figure = Figure(figsize=(6.4, 6.4))
    value_ax, marginal_ax = figure.subplots(2, 1, sharex=True)
    value_ax.set(title="What a campaign budget buys", ylabel="expected 12-month value saved")
    marginal_ax.set(xlabel="budget", ylabel="marginal return (value per unit)")
    for multiplier, curve in scenarios.groupby("uplift_multiplier"):
        label = f"uplift x {multiplier:g}"
        value_ax.plot(curve["budget"], curve["expected_value_saved"], marker="o", label=label)
        marginal_ax.plot(curve["budget"], curve["marginal_return"], marker="o", label=label)
    plan = scenarios[scenarios["is_current_plan"]]
    value_ax.scatter(
        plan["budget"], plan["expected_value_saved"], s=120, c="none", edgecolors="k", label="current plan"
    )
    marginal_ax.axhline(1, color="k", linewidth=0.8, linestyle="--")  # below 1, a unit spent saves less than a unit
    for ax in (value_ax, marginal_ax):
        ax.set_xscale("symlog", linthresh=100)
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
    value_ax.legend()
    return figure


CHARTS = {
    "engagement-distribution": engagement_distribution,
    "engagement-correlation": engagement_correlation,
    "value-score-distribution": value_score_distribution,
    "tenure-vs-value": tenure_vs_value,
    "clv-calibration": clv_calibration,
    "purchase-probability-calibration": purchase_probability_calibration,
    "churn-lift": churn_lift,
    "churn-roc": churn_roc,
    "churn-surrogate-tree": churn_surrogate_tree,
    "value-forecast-rankings": value_forecast_rankings,
    "value-forecast-tree": value_forecast_tree,
    "segment-sizes": segment_sizes,
    "segment-profiles": segment_profiles,
    "revenue-forecast": revenue_forecast,
    "budget-scenarios": budget_scenarios,
}


# Charts of a fitted model's output, by model family: drawn only when model_status says it was fitted.
CHART_FAMILIES = {
    "clv-calibration": "clv",
    "purchase-probability-calibration": "clv",
    "churn-lift": "churn",
    "churn-roc": "churn",
    "churn-surrogate-tree": "churn",
    "value-forecast-rankings": "value",
    "value-forecast-tree": "value",
    "segment-sizes": "segments",
    "segment-profiles": "segments",
    "revenue-forecast": "clv",
    "budget-scenarios": "segments",
}


def fitted_families(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("select model_family from model_status where status = 'fitted' and is_selected").fetchall()
    return {family for (family,) in rows}


def model_status_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, ...]]:
    return con.execute(
        "select model_family, model_name, status, coalesce(validation, reason || ' (needs ' || requirement || ')') "
        "from model_status order by model_family, model_name"
    ).fetchall()


def key_figures(con: duckdb.DuckDBPyConnection, fitted: set[str]) -> list[tuple[str, str]]:
    def one(sql: str):
        return con.execute(sql).fetchone()[0]

    tenure_correlation = one(
        "select metric_value from customer_value_score_metrics where metric_name = 'value_score_tenure_correlation'"
    )
    figures = [
        ("As of", str(one("select max(as_of_date) from customer_scores"))),
        ("Customers", f"{one('select count(*) from customer_scores'):,}"),
        ("High-value customers", f"{one('select count(*) from customer_scores where is_high_value'):,}"),
        ("Value score vs tenure (correlation)", f"{tenure_correlation:.3f}"),
    ]
    if "clv" in fitted:
        (clv_model, spend_r2) = con.execute(
            "select model_name, metric_value from clv_model_metrics where metric_name = 'spend_r2' and model_name = "
            "(select model_name from model_status where model_family = 'clv' and is_selected)"
        ).fetchone()
        figures += [
            ("CLV model (selected on holdout)", clv_model),
            ("CLV holdout spend R²", f"{spend_r2:.3f}"),
            ("Total 12-month CLV", f"{one('select sum(clv_12m) from customer_scores'):,.0f}"),
        ]
        (months, revenue, lower, upper) = con.execute(
            "select forecast_month, cumulative_revenue, cumulative_lower, cumulative_upper from revenue_forecast "
            "order by forecast_month desc limit 1"
        ).fetchone()
        figures.append(
            (f"Revenue forecast, next {months} months (band)", f"{revenue:,.0f} ({lower:,.0f} - {upper:,.0f})")
        )
    if "churn" in fitted:
        churn_model = one("select model_name from model_status where model_family = 'churn' and is_selected")
        churn = dict(
            con.execute(
                "select metric_name, metric_value from churn_model_metrics where model_name = ?", [churn_model]
            ).fetchall()
        )
        at_risk = one("select count(*) from customer_scores where risk_tier in ('high', 'critical')")
        figures += [
            (f"Churn ROC-AUC / PR-AUC ({churn_model})", f"{churn['roc_auc']:.3f} / {churn['pr_auc']:.3f}"),
            ("Churn precision / recall / F1", f"{churn['precision']:.3f} / {churn['recall']:.3f} / {churn['f1']:.3f}"),
            ("Customers at high or critical risk", f"{at_risk:,}"),
        ]
    if "value" in fitted:
        precision = dict(
            con.execute(
                "select ranking, metric_value from value_forecast_metrics where metric_name = 'precision_at_top'"
            ).fetchall()
        )
        figures.append(
            (
                "Top-spender precision, value forecast / value score (back-test)",
                f"{precision['value_forecast']:.3f} / {precision['value_score']:.3f}",
            )
        )
    if "segments" in fitted:
        segment_count, silhouette = con.execute(
            "select max(segment_count), max(silhouette) from customer_segment_profiles"
        ).fetchone()
        figures.append(("Segments (silhouette)", f"{segment_count} ({silhouette:.2f})"))
    return figures


def _chart(con: duckdb.DuckDBPyConnection, chart_id: str, draw, fitted: set[str]) -> str:
    family = CHART_FAMILIES.get(chart_id)
    if family is None or family in fitted:
        return f'<figure class="chart" id="{chart_id}">{_svg(draw(con))}</figure>'
    reason = f"No {family} model was fitted on this data: see the model status above."
    return f'<figure class="chart skipped" id="{chart_id}"><p>{html.escape(reason)}</p></figure>'


def render(con: duckdb.DuckDBPyConnection) -> str:
    fitted = fitted_families(con)
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in key_figures(con, fitted))
    statuses = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in model_status_rows(con)
    )
    figures = "".join(_chart(con, chart_id, draw, fitted) for chart_id, draw in CHARTS.items())
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Customer scores</title>'
        f"{STYLE}</head><body><h1>Customer scores</h1><h2>Key figures</h2><table>{rows}</table>"
        '<h2>Model status</h2><table id="model-status"><tr><th>family</th><th>model</th><th>status</th>'
        f"<th>validation, or why skipped</th></tr>{statuses}</table>"
        f'<h2>Charts</h2><div class="charts">{figures}</div>{RENDER_CHECK}</body></html>'
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default = os.environ.get("CUSTOMER_SCORING_PUBLISHED", "data/warehouse.duckdb")
    parser.add_argument("--warehouse", type=Path, default=Path(default))
    parser.add_argument("--out", type=Path, default=Path("reports/customer_scores.html"))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        page = render(con)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page)
    print(f"Report: {args.out.resolve()}")


if __name__ == "__main__":
    sys.exit(run_module(sys.modules[__name__]))
