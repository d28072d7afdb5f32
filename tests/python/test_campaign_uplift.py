"""Measured uplift, end to end in two runs: the first queues three campaigns' entrants (half held out), the
generator lets their outcome window pass with a true effect per campaign (more orders, none, fewer), and the
second run measures each campaign against its control group: the interval holds the true uplift of retention,
orders and revenue, and the entrants of the first run are neither queued nor exported again. A third run with
use_measured_uplift prices the campaigns' action with what was measured."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import PROJECT_DIR
from scipy.stats import norm

from customer_scoring.export import sendable, write_files
from customer_scoring.generate import GeneratorConfig, campaign_orders

pytestmark = pytest.mark.e2e  # runs dbt

# Disjoint audiences (a customer's effects must not mix), each big enough to measure, with their true effects:
# Poisson(1) more orders per customer sent (to the low-value buyers), none, and half of their orders lost (the
# high-value buyers, who have orders to lose).
EFFECTS = {"more_orders": 1.0, "no_effect": 0.0, "fewer_orders": -0.5}
AUDIENCES = {
    "more_orders": "clv_decile <= 3",
    "no_effect": "clv_decile between 4 and 7",
    "fewer_orders": "clv_decile >= 8",
}
CAMPAIGNS = [
    {"campaign_id": name, "audience": audience, "action": "retention_offer", "channel": "email"}
    | {"cooldown_days": 365, "cost_per_contact": 1, "budget": 100_000}
    for name, audience in AUDIENCES.items()
]


# Nine intervals (three campaigns, three metrics) should all hold the truth 95% of the time: Bonferroni's z.
SIMULTANEOUS_Z = float(norm.ppf(1 - 0.05 / (2 * 3 * len(CAMPAIGNS))))


def _build(dbt, raw, path, as_of: date, *args: str, **extra_vars) -> None:
    variables = {"campaigns": CAMPAIGNS, "campaign_control_share": 0.5, "as_of_date": as_of.isoformat()}
    variables |= {"campaign_confidence_z": SIMULTANEOUS_Z, **extra_vars}
    dbt(["build", "--vars", json.dumps(variables), *args], raw, path)


def _query(path, sql: str):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).df()


def test_measured_uplift_recovers_the_true_effect_of_each_campaign(dataset, dbt, dbt_vars, tmp_path):
    cfg = GeneratorConfig(**dataset["manifest"]["config"])
    raw, path, exports = tmp_path / "raw", tmp_path / "warehouse.duckdb", tmp_path / "exports"
    shutil.copytree(dataset["raw"], raw)
    first = date.fromisoformat(cfg.end_date)
    _build(dbt, raw, path, first)
    outbox = _query(path, "select * from campaign_outbox")
    assert set(outbox["campaign_id"]) == set(EFFECTS) and _query(path, "select * from campaign_uplift").empty
    first_exports = write_files(sendable(path), exports)

    # The outcome window passes: its orders land, with each campaign's true effect on the entrants it was sent to.
    days = dbt_vars["campaign_outcome_days"]
    orders, truth = campaign_orders(cfg, outbox[["campaign_id", "customer_id", "is_control"]], EFFECTS, days)
    pq.write_table(pa.concat_tables([pq.read_table(raw / "orders.parquet"), orders]), raw / "orders.parquet")
    _build(dbt, raw, path, first + timedelta(days=days))

    uplift = _query(path, "select * from campaign_uplift").set_index(["campaign_id", "metric_name"])
    assert len(uplift) == 3 * len(EFFECTS) and (uplift["cohort_date"].dt.date == first).all()
    for (campaign, metric), row in uplift.iterrows():
        true = truth.loc[campaign, metric]
        interval = f"[{row['uplift_lower']:.4f}, {row['uplift_upper']:.4f}]"
        print(f"{campaign} {metric}: measured {row['uplift']:.4f} {interval}, true {true:.4f}")
        assert row["uplift_lower"] <= true <= row["uplift_upper"], (campaign, metric)
        assert row["treated_customers"] > 300 and row["control_customers"] > 300
    # The effects are told apart: more orders, none, fewer.
    assert uplift.loc[("more_orders", "orders"), "uplift_lower"] > 0
    assert uplift.loc[("fewer_orders", "orders"), "uplift_upper"] < 0
    assert uplift.loc[("no_effect", "orders"), "uplift_lower"] < 0 < uplift.loc[("no_effect", "orders"), "uplift_upper"]
    rules = pd.read_csv(PROJECT_DIR / "seeds" / "next_best_action_rules.csv").sort_values("rule_priority")
    assumed = rules.loc[rules["next_best_action"] == "retention_offer", "retention_uplift"].iloc[0]
    retention = uplift.xs("retention", level="metric_name")
    # Beside the measured: the seed's share of churners kept, times the control group's churn rate.
    assert (retention["assumed_uplift"] == assumed * (1 - retention["control_mean"])).all()

    # Nobody of the first run is queued again within the cool-down, and the export sends only the new entrants.
    queued = _query(path, "select customer_id, campaign_id, count(*) as times from campaign_outbox group by 1, 2")
    assert (queued["times"] == 1).all()
    second_exports = write_files(sendable(path), exports)
    assert not set(first_exports) & set(second_exports)
    assert all(first.isoformat() not in exported.name for exported in second_exports)

    # Measured uplifts replace the assumed ones: the share of the control groups' churners the campaigns kept.
    _build(
        dbt,
        raw,
        path,
        first + timedelta(days=days),
        "--select",
        "customer_next_best_action",
        "budget_scenarios",
        use_measured_uplift=True,
    )
    actions = _query(path, "select * from customer_next_best_action")
    treated = (retention["treated_mean"] * retention["treated_customers"]).sum() / retention["treated_customers"].sum()
    control = (retention["control_mean"] * retention["control_customers"]).sum() / retention["control_customers"].sum()
    measured = actions[actions["next_best_action"] == "retention_offer"]
    assert len(measured) > 0 and (measured["uplift_source"] == "measured").all()
    assert measured["retention_uplift"].to_numpy() == pytest.approx(max((treated - control) / (1 - control), 0.0))
    others = actions[actions["next_best_action"] != "retention_offer"]
    assert (others["uplift_source"] == "assumed").all()
    seed_uplift = others["next_best_action"].map(
        rules.drop_duplicates("next_best_action").set_index("next_best_action")["retention_uplift"]
    )
    assert (others["retention_uplift"] == seed_uplift).all()
