"""A readable decision tree of the value forecast's 180-day spend, per version."""

from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import RetrainDecision
from customer_scoring.value import FAMILY, TREE_COLUMNS, ForecastSettings, ValueVersion, fit_rows, surrogate_tree


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["model_version", "leaf_id"], full_refresh=False)
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(TREE_COLUMNS)
    settings, tree = ForecastSettings.of(dbt.config.get("forecast")), dbt.config.get("tree")
    cutoffs = sorted_frame(dbt.ref("int_value_forecast_cutoffs"), ["cutoff_date"])
    rows = filtered_frame(
        dbt.ref("value_forecast_fit_rows"),
        fit_rows(cutoffs, "is_training", settings.max_fit_rows),
        ["cutoff_date", "customer_id"],
    )
    version = ValueVersion.from_registry(frame(dbt.ref("fit_value_forecast_model").filter(decision.rows)))
    return decision.stamped(surrogate_tree(rows, version, int(tree["max_depth"]), float(tree["min_leaf_share"])))
