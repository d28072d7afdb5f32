"""MetricFlow answers the semantic layer's questions on the published warehouse (`DBT_TARGET=metrics mf query`),
with the numbers the marts give."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_DIR

# Each question: mf's metric and group-by, and the SQL on the published marts that answers it, its columns
# named as mf names them.
QUESTIONS = {
    "customers by segment": (
        ["--metrics", "customers", "--group-by", "customer__segment_name"],
        "select segment_name as customer__segment_name, count(distinct customer_id) as customers"
        " from customer_scores group by all",
    ),
    "CLV at risk by segment and month": (
        ["--metrics", "clv_at_risk", "--group-by", "customer__segment_name,metric_time__month"],
        "select segment_name as customer__segment_name, date_trunc('month', as_of_date) as metric_time__month,"
        " sum(clv_12m * churn_probability) as clv_at_risk from customer_scores group by all",
    ),
    "revenue by cohort and month": (
        ["--metrics", "revenue", "--group-by", "customer__first_order_date__month,metric_time__month"],
        "select date_trunc('month', customers.first_order_date) as customer__first_order_date__month,"
        " date_trunc('month', orders.order_date) as metric_time__month, sum(orders.amount) as revenue"
        " from fct_orders as orders left join dim_customers as customers using (customer_id)"
        " where orders.status = 'completed' group by all",
    ),
    "expected value saved by funded actions": (
        ["--metrics", "expected_value_saved_funded", "--group-by", "customer__next_best_action"],
        "select next_best_action as customer__next_best_action,"
        " sum(case when is_action_funded then expected_value_saved else 0 end) as expected_value_saved_funded"
        " from customer_scores group by all",
    ),
}


def _label(value) -> str:
    """A group's label as mf's CSV writes it: empty for null, a month as its first day without a time of day."""
    return "" if value is None else re.sub(r"[ T]00:00:00$", "", str(value))


def _rows(header: list[str], rows: list[tuple]) -> dict[tuple, float]:
    """Each group's value, keyed by its labels in the order of their names."""
    order = sorted(range(len(header) - 1), key=header.__getitem__)
    return {tuple(_label(row[i]) for i in order): float("nan" if row[-1] in (None, "") else row[-1]) for row in rows}


@pytest.mark.parametrize("question", list(QUESTIONS))
def test_metricflow_answers_with_the_marts_numbers(question, warehouse, published, tmp_path):
    # mf reads the semantic manifest at <project>/target: the one the end-to-end build wrote.
    project = tmp_path / "project"
    project.mkdir()
    (project / "dbt_project.yml").symlink_to(PROJECT_DIR / "dbt_project.yml")
    (project / "target").symlink_to(warehouse.parent / "target")
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "DBT_PROJECT_DIR": str(project),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_TARGET": "metrics",
        "CUSTOMER_SCORING_WAREHOUSE": str(warehouse),
        "CUSTOMER_SCORING_PUBLISHED": str(published),
    }
    arguments, sql = QUESTIONS[question]
    out = tmp_path / "answer.csv"
    mf = Path(sys.executable).with_name("mf")
    result = subprocess.run(
        [mf, "query", *arguments, "--csv", out, "--quiet"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0 and out.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    with out.open() as answer:
        header, *rows = csv.reader(answer)
    with duckdb.connect(str(published), read_only=True) as con:
        cursor = con.execute(sql)
        expected = _rows([column[0] for column in cursor.description], cursor.fetchall())
    answered = _rows(header, rows)
    assert len(expected) > 1
    assert answered == pytest.approx(expected, rel=1e-9, nan_ok=True)
