"""Completes dbt-spark's `method: session` (dbt's own process is the Spark driver) for this project.

- **Python models.** dbt-spark 1.11 submits them only to Databricks (its `all_purpose_cluster` and
  `job_cluster` helpers call Databricks' REST API). The code dbt generates for a Python model needs nothing
  but a global `spark` session, so the submission method `session` runs it in process, with the driver's
  session: the local stand-in for Databricks' submission. It is the default on a `method: session` profile.
- **Seed values.** The session connection pastes each bound value between single quotes unescaped, so a
  seed value such as "Can't lose them" breaks the insert; here quotes and backslashes are escaped as Spark
  SQL reads them.

dbt imports every top-level module named `dbt_*` on start-up and initializes the `dbtPlugin` subclasses
listed in its `plugins` (dbt-core's plugin hook), so installing the project applies both.
"""

from __future__ import annotations

import builtins
import os
import sys

import pandas as pd
import pyarrow as pa
from dbt.adapters.base import PythonJobHelper
from dbt.plugins.manager import dbtPlugin

SESSION = "session"


# dbt-spark's generated code turns a returned pandas frame into a Spark one through pandas-on-Spark (or Koalas)
# when it can import them; pandas-on-Spark rejects pandas 2's microsecond timestamps and nullable dtypes. Hidden,
# the code takes its other route, spark.createDataFrame, which ArrowSession sends through Arrow.
HIDDEN_MODULES = ("pyspark.pandas", "databricks.koalas")


class ArrowSession:
    """A Spark session whose createDataFrame takes a pandas frame as an Arrow table: typed by its dtypes, so a
    model's frame of no rows (a skipped model's) still has a schema, where pandas' own route has none to infer."""

    def __init__(self, session) -> None:
        self._session = session

    def __getattr__(self, name: str):
        return getattr(self._session, name)

    def createDataFrame(self, data, *args, **kwargs):
        if isinstance(data, pd.DataFrame):
            data = pa.Table.from_pandas(data, preserve_index=False)
        return self._session.createDataFrame(data, *args, **kwargs)


def _import_without_pandas_on_spark(name, *args, **kwargs):
    if name.startswith(HIDDEN_MODULES):
        raise ImportError(f"{name} is hidden from dbt Python models run in session")
    return builtins.__import__(name, *args, **kwargs)


def run_compiled_model(compiled_code: str, model_name: str, spark) -> None:
    """Runs the code dbt generated for a Python model (the model, then its materialization) with `spark`."""
    namespace = {"spark": spark, "__builtins__": {**vars(builtins), "__import__": _import_without_pandas_on_spark}}
    exec(compile(compiled_code, f"<dbt Python model {model_name}>", "exec"), namespace)


class SessionPythonJobHelper(PythonJobHelper):
    """Runs a Python model with the driver's Spark session, the one dbt-spark's session connection made."""

    def __init__(self, parsed_model: dict, credentials) -> None:
        self.model_name = parsed_model["alias"]

    def submit(self, compiled_code: str) -> None:
        from pyspark.sql import SparkSession

        run_compiled_model(compiled_code, self.model_name, ArrowSession(SparkSession.builder.getOrCreate()))


def register_session_submission(adapter_class) -> None:
    """Adds the `session` method to dbt-spark's submission helpers, the default for profiles whose connection
    method is `session`."""
    helpers = adapter_class.python_submission_helpers.fget
    default_method = adapter_class.default_python_submission_method.fget

    def session_helpers(adapter):
        return {**helpers(adapter), SESSION: SessionPythonJobHelper}

    def session_default_method(adapter):
        return SESSION if adapter.config.credentials.method == SESSION else default_method(adapter)

    adapter_class.python_submission_helpers = property(session_helpers)
    adapter_class.default_python_submission_method = property(session_default_method)


def spark_string_literal(value: str) -> str:
    """`value` as a Spark SQL string literal (Spark escapes with a backslash, not by doubling the quote)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def escape_session_bindings(wrapper_class) -> None:
    fix_binding = wrapper_class._fix_binding

    def escaped_binding(value):
        return spark_string_literal(value) if isinstance(value, str) else fix_binding(value)

    wrapper_class._fix_binding = staticmethod(escaped_binding)


class CompleteSessionMethod(dbtPlugin):
    def initialize(self) -> None:
        try:
            from dbt.adapters.spark.impl import SparkAdapter
            from dbt.adapters.spark.session import SessionConnectionWrapper
            from pyspark.logger import PySparkLogger
        except ImportError:  # an install without dbt-spark[session]: nothing to complete
            return
        if getattr(SparkAdapter, "_session_completed", False):  # dbt set up again in the same process
            return
        register_session_submission(SparkAdapter)
        escape_session_bindings(SessionConnectionWrapper)
        SparkAdapter._session_completed = True
        # Executors start Python workers with the driver's PYSPARK_PYTHON: the interpreter running dbt has the
        # project's packages (pandas, the model code), a bare `python3` on the PATH may not.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        # dbt reports a failing query's error; pyspark would print it again as a JSON stack trace.
        PySparkLogger.getLogger("SQLQueryContextLogger").disabled = True


plugins = [CompleteSessionMethod]
