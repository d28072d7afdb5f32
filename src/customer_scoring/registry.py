"""The model registry: every fit of a model family is a numbered version, kept with what it measured.

`model_retrain_decisions` (SQL) decides, per family and run, whether this run refits (a trigger fired: the
first fit, a full refresh, a forced retrain, replaced data, changed settings, drift, a metric below its floor,
age, new data) or scores with the registered version. A family's fit tables are incremental, one set of rows
per version: a run that refits writes the new version's rows; a run that does not writes none
(`RetrainDecision.keeps`), and every reader takes the rows of the run's version (`RetrainDecision.rows`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd

from customer_scoring.status import empty_frame

VERSION_COLUMN = "model_version"
# A family's version row (its fit_<family>_model table, published by model_registry with the version's
# validation metric): the model, its version, the as-of date of the run that fitted it, its training in
# words, the rows it read and a fingerprint of them, the size of the family's data then (the new-data
# trigger compares against it), a fingerprint of its settings, why it was fitted, and the fit itself as JSON.
REGISTRY_COLUMNS = {
    "model_name": "string",
    VERSION_COLUMN: "int64",
    "as_of_date": "datetime64[us]",
    "training": "string",
    "training_rows": "int64",
    "data_fingerprint": "string",
    "data_rows": "int64",
    "settings_fingerprint": "string",
    "retrain_reason": "string",
    "artifact": "string",
}


@dataclass(frozen=True)
class RetrainDecision:
    """A family's row of `model_retrain_decisions`: the version this run scores with, whether this run fits
    it, and why."""

    model_version: int
    is_refit: bool
    retrain_reason: str | None
    as_of_date: pd.Timestamp
    data_rows: int
    settings_fingerprint: str

    @classmethod
    def of(cls, decisions: pd.DataFrame, family: str) -> RetrainDecision:
        (row,) = decisions[decisions["model_family"] == family].to_dict("records")
        return cls(
            int(row["model_version"]),
            bool(row["is_refit"]),
            None if pd.isna(row["retrain_reason"]) else row["retrain_reason"],
            pd.Timestamp(row["as_of_date"]),
            int(row["data_rows"]),
            row["settings_fingerprint"],
        )

    @property
    def rows(self) -> str:
        """The SQL condition that keeps this run's version's rows of a fit table."""
        return f"{VERSION_COLUMN} = {self.model_version}"

    def keeps(self, is_incremental: bool) -> bool:
        """True when this run keeps the registered version's rows as they are: the table exists and no
        trigger fired. A missing table is written whatever the decision."""
        return is_incremental and not self.is_refit

    def unchanged(self, columns: dict[str, str]) -> pd.DataFrame:
        """What a fit table's model returns when it `keeps` its rows: no rows, typed."""
        return empty_frame({**columns, VERSION_COLUMN: "int64"})

    def registered(
        self,
        model_name: str,
        fitted_rows: pd.DataFrame,
        training: str,
        artifact: str,
    ) -> pd.DataFrame:
        """This run's version row (REGISTRY_COLUMNS) of a model fitted on `fitted_rows`."""
        row = {
            "model_name": model_name,
            VERSION_COLUMN: self.model_version,
            "as_of_date": self.as_of_date,
            "training": training,
            "training_rows": len(fitted_rows),
            "data_fingerprint": data_fingerprint(fitted_rows),
            "data_rows": self.data_rows,
            "settings_fingerprint": self.settings_fingerprint,
            "retrain_reason": self.retrain_reason,
            "artifact": artifact,
        }
        return pd.DataFrame([row], columns=list(REGISTRY_COLUMNS)).astype(REGISTRY_COLUMNS)

    def stamped(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`frame`, a fit's output, as rows of this run's version."""
        return frame.assign(**{VERSION_COLUMN: self.model_version}).astype({VERSION_COLUMN: "int64"})


def data_fingerprint(frame: pd.DataFrame) -> str:
    """A short hash of the rows a fit read, in their (sorted) order: equal data, equal fingerprint."""
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()).hexdigest()[:16]
