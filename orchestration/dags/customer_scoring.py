"""customer_scoring: the project's dbt build, node by node, with astronomer-cosmos, then the publication.

Each model, seed and snapshot is an Airflow task (`dbt build` of that node: it runs, then its tests), a test
with several parents runs after all of them, and the publish task runs last, only when every dbt task passed:
the write-audit-publish of `customer-scoring build`, spread over tasks. Airflow and cosmos live in a virtualenv
of their own (`make airflow-install`); dbt and the models run in the project's (`.venv`, `make install`).

The tasks come from the manifest in the project's target/ (`make build` or `dbt parse` writes it), which also
names the tables the publish task copies. The raw data, build and published warehouses are the project's
environment variables (relative paths are taken from the project directory), as for `make build`.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from airflow.providers.standard.operators.bash import BashOperator
from cosmos import DbtDag, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROJECT_BIN = PROJECT_DIR / ".venv" / "bin"
# Absolute paths: cosmos runs dbt in a temporary copy of the project.
ENV = {
    "DO_NOT_TRACK": "1",
    **{
        variable: str(PROJECT_DIR / os.environ.get(variable, default))
        for variable, default in {
            "CUSTOMER_SCORING_RAW_DIR": "data/raw",
            "CUSTOMER_SCORING_WAREHOUSE": "data/build.duckdb",
            "CUSTOMER_SCORING_PUBLISHED": "data/warehouse.duckdb",
        }.items()
    },
    # Every task is one run for the project's monitoring (macro run_id), not a dbt invocation of its own: an
    # environment variable (rendered per task), as a var would make each task's dbt parse the project afresh.
    "CUSTOMER_SCORING_RUN_ID": "{{ run_id }}",
    # Each task's dbt runs in a temporary copy of the project that cosmos deletes after it: writing the manifest
    # and run results there is a third of a small task's time (~3 s a task), read by nothing.
    "DBT_WRITE_JSON": "false",
}
# dbt is the project's, not the Airflow venv's: cosmos runs it as a subprocess.
DBT = str(PROJECT_BIN / "dbt")

with DbtDag(
    dag_id="customer_scoring",
    project_config=ProjectConfig(
        dbt_project_path=PROJECT_DIR,
        manifest_path=PROJECT_DIR / "target" / "manifest.json",
        env_vars=ENV,
        install_dbt_deps=False,
    ),
    profile_config=ProfileConfig(
        profile_name="customer_scoring", target_name="duckdb", profiles_yml_filepath=PROJECT_DIR / "profiles.yml"
    ),
    execution_config=ExecutionConfig(
        execution_mode=ExecutionMode.LOCAL, invocation_mode=InvocationMode.SUBPROCESS, dbt_executable_path=DBT
    ),
    render_config=RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        test_behavior=TestBehavior.BUILD,
        # A test with several parents (relationships, reconciliations) runs after all of them, not within the
        # `dbt build` of one parent, where another may not exist yet.
        should_detach_multiple_parents_tests=True,
        emit_datasets=False,
    ),
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    # DuckDB has one writer per database file, and a run builds the one build warehouse: one task at a time,
    # one run at a time.
    max_active_tasks=1,
    max_active_runs=1,
    tags=["customer-scoring", "dbt"],
) as dag:
    publish = BashOperator(
        task_id="publish",
        bash_command=f'"{PROJECT_BIN / "customer-scoring"}" build --publish-only "$CUSTOMER_SCORING_RUN_ID"',
        cwd=str(PROJECT_DIR),
        env=ENV,
        append_env=True,
    )
    [task for task in dag.tasks if task is not publish] >> publish
