"""customer-scoring: generate or import raw data, build and publish the scores, report, serve and inspect them.

    customer-scoring generate --customers 10000 --seed 42
    customer-scoring import transactions.csv --customer-id CustomerID --date InvoiceDate --amount Total
    customer-scoring build [-- dbt build arguments]
    customer-scoring status
    customer-scoring report
    customer-scoring api --port 8000
    customer-scoring consume --until-idle
    customer-scoring export --webhook-url https://hooks.example.com/customer-scoring

Each subcommand is also a module (`python -m customer_scoring.generate ...`) taking the same options: a
module defines `add_arguments(parser)` and `run(args, parser)`, and both entry points build its parser here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType
from typing import NoReturn

# Subcommand: the module that implements it. Only the named subcommand's module is imported (all of them for the
# overall --help), and one whose extra is not installed (api, report) says so instead of breaking the others.
COMMANDS = {
    "generate": "customer_scoring.generate",
    "import": "customer_scoring.import_orders",
    "build": "customer_scoring.publish",
    "status": "customer_scoring.status",
    "report": "customer_scoring.report",
    "api": "customer_scoring.api",
    "consume": "customer_scoring.consume",
    "export": "customer_scoring.export",
}


class CliParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (no usage block), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def configure(parser: argparse.ArgumentParser, module: ModuleType) -> argparse.ArgumentParser:
    """The module's options, its docstring as the help text, and the module as the command to run."""
    parser.description = module.__doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    module.add_arguments(parser)
    parser.set_defaults(command=module, command_parser=parser)
    return parser


def run(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    args = parser.parse_args(argv)
    return args.command.run(args, args.command_parser) or 0


def run_module(module: ModuleType, argv: list[str] | None = None) -> int:
    """`python -m customer_scoring.<module>`: the module's own parser and run."""
    return run(configure(CliParser(prog=f"python -m {module.__spec__.name}"), module), argv)


def _unavailable(name: str, error: ModuleNotFoundError) -> ModuleType:
    """A stand-in for a subcommand whose dependencies are missing: it fails with the pip command that adds them."""
    stand_in = ModuleType(name, f"Unavailable: {error}. Install the extras: pip install 'customer-scoring[api,report]'")

    def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
        parser.error(stand_in.__doc__)

    # Takes any options, so that it gets to say what is missing.
    stand_in.add_arguments = lambda parser: parser.add_argument("arguments", nargs=argparse.REMAINDER)
    stand_in.run = run
    return stand_in


def _load(module_name: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] == "customer_scoring":
            raise  # a bug of ours, not a missing extra
        return _unavailable(module_name, error)


def build_parser(argv: list[str]) -> CliParser:
    parser = CliParser(
        prog="customer-scoring", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    subcommands = parser.add_subparsers(title="subcommands", metavar="SUBCOMMAND", required=True)
    named = [argv[0]] if argv and argv[0] in COMMANDS else list(COMMANDS)
    for name in named:
        module = _load(COMMANDS[name])
        summary = " ".join(module.__doc__.split("\n\n")[0].split())
        configure(subcommands.add_parser(name, help=summary), module)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    return run(build_parser(argv), argv)


if __name__ == "__main__":
    sys.exit(main())
