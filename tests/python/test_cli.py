"""The `customer-scoring` console script: every subcommand listed, each with its help, errors in one line."""

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from customer_scoring.cli import COMMANDS

SCRIPT = Path(sys.executable).with_name("customer-scoring")


def test_help_lists_every_subcommand():
    result = subprocess.run([SCRIPT, "--help"], capture_output=True, text=True, check=True)
    listed = result.stdout.split("subcommands:")[1]
    for name in COMMANDS:
        assert f"\n    {name} " in listed


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_subcommand_and_its_module_take_the_same_options(name):
    script = subprocess.run([SCRIPT, name, "--help"], capture_output=True, text=True, check=True).stdout
    module = subprocess.run(
        [sys.executable, "-m", COMMANDS[name], "--help"], capture_output=True, text=True, check=True
    )
    assert script.startswith(f"usage: customer-scoring {name}")
    assert module.stdout.startswith(f"usage: python -m {COMMANDS[name]}")
    assert script.split("\n\n", 1)[1] == module.stdout.split("\n\n", 1)[1]


def test_errors_are_one_line(tmp_path):
    missing = tmp_path / "none.duckdb"
    result = subprocess.run([SCRIPT, "status", "--published", missing], capture_output=True, text=True)
    assert result.returncode == 2
    expected = f"no publication at {missing}: run `customer-scoring build` first"
    assert result.stderr == f"customer-scoring status: error: {expected}\n"


def test_status_shows_the_publication_and_every_model(published):
    result = subprocess.run([SCRIPT, "status", "--published", published], capture_output=True, text=True, check=True)
    with duckdb.connect(str(published), read_only=True) as con:
        tables = con.execute("select table_name, row_count from publication").fetchall()
        models = con.execute("select model_family, model_name, status from model_status").fetchall()
    lines = result.stdout.splitlines()
    for table, rows in tables:
        assert any(line.split() == [table, f"{rows:,}", "rows"] for line in lines), table
    for family, model, status in models:
        assert any(line.split()[:3] == [family, model, status] for line in lines), model
