"""The Airflow DAG (orchestration/dags, astronomer-cosmos) loads with no import errors and, run once with
`airflow dags test` on a small generated dataset, publishes what `customer-scoring build` publishes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_DIR
from test_reproducibility import table_hashes

from customer_scoring.generate import GeneratorConfig, generate
from customer_scoring.publish import publish, published_tables

# What the DAG needs of the project: it runs on a copy (links, and the DAG's own folder copied, as the DAG finds
# the project from its file's real path), whose target/ `dbt parse` writes.
PROJECT_FILES = ["dbt_project.yml", "profiles.yml", "models", "python_models", "macros", "seeds", "snapshots",
                 "analyses", "tests/dbt", ".venv"]  # fmt: skip
# Prints the DagBag's import errors and each DAG's tasks with their downstream tasks, as JSON.
DAGBAG = """
import json, os
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
print(json.dumps({
    "import_errors": {str(path): str(error) for path, error in bag.import_errors.items()},
    "dags": {dag_id: {task.task_id: sorted(task.downstream_task_ids) for task in dag.tasks}
             for dag_id, dag in bag.dags.items()},
}))
"""


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    """Run the Airflow venv's commands with an Airflow home of their own and the dataset's paths."""
    venv = Path(os.environ.get("CUSTOMER_SCORING_AIRFLOW_VENV", "/nonexistent"))
    assert (venv / ".installed").exists(), "no Airflow virtualenv: run the tests with `make test` (airflow-install)"
    root = tmp_path_factory.mktemp("airflow")
    project = root / "project"
    for name in PROJECT_FILES:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).symlink_to(PROJECT_DIR / name)
    shutil.copytree(PROJECT_DIR / "orchestration", project / "orchestration")
    generate(GeneratorConfig(customers=300, seed=7), root / "raw", root / "truth")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(root / "home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(project / "orchestration" / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{root / 'home' / 'airflow.db'}",
        "AIRFLOW__COSMOS__CACHE_DIR": str(root / "cosmos"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "SCARF_NO_ANALYTICS": "1",
        "DO_NOT_TRACK": "1",
        "CUSTOMER_SCORING_RAW_DIR": str(root / "raw"),
        "CUSTOMER_SCORING_WAREHOUSE": str(root / "build.duckdb"),
        "CUSTOMER_SCORING_PUBLISHED": str(root / "warehouse.duckdb"),
        "DBT_PROFILES_DIR": str(project),
    }

    def run(*command: str) -> str:
        result = subprocess.run(
            [venv / "bin" / command[0], *command[1:]], cwd=root, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
        return result.stdout

    subprocess.run([PROJECT_DIR / ".venv" / "bin" / "dbt", "parse", "--quiet"], cwd=project, env=env, check=True)
    run("airflow", "db", "migrate")
    return {"root": root, "run": run}


def test_the_dag_loads_with_every_dbt_node_before_the_publication(airflow):
    bag = json.loads(airflow["run"]("python", "-c", DAGBAG).strip().splitlines()[-1])
    assert bag["import_errors"] == {}
    tasks = bag["dags"]["customer_scoring"]
    assert tasks["publish"] == []
    assert all("publish" in downstream for task, downstream in tasks.items() if task != "publish")
    # Every model, seed and snapshot has its task (cosmos names them after the node).
    assert len(tasks) > 60


def test_a_dag_run_publishes_what_the_build_command_publishes(airflow, dbt, tmp_path):
    root = airflow["root"]
    airflow["run"]("airflow", "dags", "test", "customer_scoring", "2026-01-01")
    # Every task's dbt wrote as one run, the DAG run's (CUSTOMER_SCORING_RUN_ID, rendered per task).
    with duckdb.connect(str(root / "build.duckdb"), read_only=True) as con:
        (run_ids,) = con.execute("select list(distinct invocation_id) from monitoring_bins").fetchone()
    assert len(run_ids) == 1 and run_ids[0].startswith("manual__"), run_ids
    standalone = tmp_path / "build.duckdb"
    dbt(["build"], root / "raw", standalone)
    published = tmp_path / "warehouse.duckdb"
    publish(standalone, published, published_tables(tmp_path / "target" / "manifest.json"), "standalone")
    assert table_hashes(root / "warehouse.duckdb") == table_hashes(published)
