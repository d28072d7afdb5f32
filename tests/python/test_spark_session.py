"""The Spark engine's pieces that need no JVM: the session submission plugin and Spark refs read as frames."""

import datetime as dt
from decimal import Decimal

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from customer_scoring.frames import frame, sorted_frame
from dbt_spark_session import ArrowSession, register_session_submission, run_compiled_model, spark_string_literal


class FakeSparkDataFrame:
    """What sorted_frame uses of a Spark DataFrame: its rows as Arrow, timestamps as UTC instants."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def toArrow(self) -> pa.Table:
        return self.table


def test_a_spark_ref_reads_as_the_same_frame_as_a_duckdb_ref():
    con = duckdb.connect()
    relation = con.sql(
        """select * from (values
            ('b', 2, 10.25::decimal(18, 2), date '2025-01-31', timestamp '2025-01-31 23:59:59', true),
            ('a', null, null, null, null, null)
        ) as t(customer_id, orders, amount, first_order_date, ordered_at, is_active)"""
    )
    spark_like = FakeSparkDataFrame(
        pa.table(
            {
                "customer_id": ["b", "a"],
                "orders": pa.array([2, None], pa.int32()),
                "amount": pa.array([Decimal("10.25"), None], pa.decimal128(18, 2)),
                "first_order_date": pa.array([dt.date(2025, 1, 31), None], pa.date32()),
                "ordered_at": pa.array([dt.datetime(2025, 1, 31, 23, 59, 59), None], pa.timestamp("us", tz="UTC")),
                "is_active": [True, None],
            }
        )
    )
    expected = sorted_frame(relation, ["customer_id"])
    pd.testing.assert_frame_equal(sorted_frame(spark_like, ["customer_id"]), expected)
    assert frame(spark_like).dtypes.equals(expected.dtypes)


def test_seed_values_become_spark_string_literals():
    assert spark_string_literal("Can't lose them") == "'Can\\'t lose them'"
    assert spark_string_literal("a\\b") == "'a\\\\b'"


class FakeAdapter:
    """dbt-spark's SparkAdapter as far as the submission registry goes."""

    def __init__(self, method: str) -> None:
        self.config = type("Config", (), {"credentials": type("Credentials", (), {"method": method})()})()

    @property
    def python_submission_helpers(self):
        return {"all_purpose_cluster": object}

    @property
    def default_python_submission_method(self):
        return "all_purpose_cluster"


def test_session_is_a_submission_method_and_the_default_for_a_session_profile():
    class Adapter(FakeAdapter):
        pass

    register_session_submission(Adapter)
    assert set(Adapter("session").python_submission_helpers) == {"all_purpose_cluster", "session"}
    assert Adapter("session").default_python_submission_method == "session"
    assert Adapter("thrift").default_python_submission_method == "all_purpose_cluster"


def test_a_model_runs_with_the_given_session_and_without_pandas_on_spark():
    compiled_code = """
try:
    import pyspark.pandas
    spark.append("pandas-on-Spark")
except ImportError:
    import json
    spark.append(json.dumps("spark.createDataFrame"))
"""
    session = []
    run_compiled_model(compiled_code, "fit_x", session)
    assert session == ['"spark.createDataFrame"']


def test_a_returned_frame_of_no_rows_reaches_spark_typed():
    class Session:
        def createDataFrame(self, data):
            return data

        table = "the session's own"

    session = ArrowSession(Session())
    empty = pd.DataFrame(columns=["customer_id", "clv_12m", "orders"]).astype(
        {"customer_id": "string", "clv_12m": "float64", "orders": "Int32"}
    )
    assert session.createDataFrame(empty).schema == pa.schema(
        [("customer_id", pa.string()), ("clv_12m", pa.float64()), ("orders", pa.int32())]
    )
    assert session.table == "the session's own"


def test_a_failing_model_names_itself_in_the_traceback():
    with pytest.raises(ZeroDivisionError) as error:
        run_compiled_model("1 / 0", "fit_x", spark=None)
    assert error.traceback[-1].frame.code.path == "<dbt Python model fit_x>"
