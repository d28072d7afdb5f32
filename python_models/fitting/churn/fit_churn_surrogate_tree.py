"""A readable decision tree of the primary churn model's probability, per version."""

from customer_scoring.churn import FAMILY, SURROGATE_COLUMNS, ChurnVersion, importance_rows, surrogate_tree
from customer_scoring.frames import filtered_frame, frame, sorted_frame
from customer_scoring.registry import RetrainDecision


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["model_version", "leaf_id"], full_refresh=False)
    decision = RetrainDecision.of(frame(dbt.ref("model_retrain_decisions")), FAMILY)
    if decision.keeps(dbt.is_incremental):
        return decision.unchanged(SURROGATE_COLUMNS)
    max_rows, tree = int(dbt.config.get("max_fit_rows")), dbt.config.get("tree")
    rows = importance_rows(sorted_frame(dbt.ref("churn_fit_cutoffs"), ["cutoff_date"]), max_rows)
    features = filtered_frame(dbt.ref("churn_fit_rows"), rows, ["cutoff_date", "customer_id"])
    version = ChurnVersion.from_registry(frame(dbt.ref("fit_churn_model").filter(decision.rows)))
    return decision.stamped(
        surrogate_tree(features, version, max_rows, int(tree["max_depth"]), float(tree["min_leaf_share"]))
    )
