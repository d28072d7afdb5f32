"""The `customer-scoring` console script: every subcommand listed, each with its help, errors in one line."""

import subprocess
import sys
from pathlib import Path

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
