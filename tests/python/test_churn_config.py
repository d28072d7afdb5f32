"""The churn lists have one home each, the vars in dbt_project.yml, and the files that must spell one out
agree with it: the features mart's contract lists its columns (it selects the var's features and casts
them to the contract, so a disagreement also fails the build), and the model names the YAML tests accept
are the `churn_models` var."""

from __future__ import annotations

from pathlib import Path

import yaml

from customer_scoring.churn import check_models

PROJECT_DIR = Path(__file__).resolve().parents[2]
FEATURES_YML = PROJECT_DIR / "models/marts/churn/_churn__models.yml"
CHURN_YMLS = [
    FEATURES_YML,
    PROJECT_DIR / "models/fitting/churn/_churn__models.yml",
    PROJECT_DIR / "python_models/fitting/churn/_churn__python_models.yml",
]
# customer_churn_features: the keys before the features, the targets after them, then when a run wrote the row.
KEYS = ["customer_id", "cutoff_date"]
TARGETS = ["churned", "days_to_churn", "churn_observed"]
WRITTEN = ["validated_at"]


def contract_columns(path: Path, model: str) -> list[str]:
    (node,) = [node for node in yaml.safe_load(path.read_text())["models"] if node["name"] == model]
    return [column["name"] for column in node["columns"]]


def contract_disagreements(columns: list[str], numeric: list[str], categorical: list[str]) -> list[str]:
    """How the contract's columns differ from the keys, the feature vars in order, the targets and the run column."""
    expected = KEYS + numeric + categorical + TARGETS + WRITTEN
    if columns == expected:
        return []
    found = [f"{c} is in the contract, not in the vars" for c in columns if c not in expected]
    found += [f"{c} is in the vars, not in the contract" for c in expected if c not in columns]
    return found or [f"the contract lists {columns}, the vars {expected}"]


def test_the_features_contract_lists_the_feature_vars(dbt_vars):
    columns = contract_columns(FEATURES_YML, "customer_churn_features")
    assert (
        contract_disagreements(columns, dbt_vars["churn_numeric_features"], dbt_vars["churn_categorical_features"])
        == []
    )


def test_a_contract_that_disagrees_with_the_vars_is_caught(dbt_vars):
    columns = contract_columns(FEATURES_YML, "customer_churn_features")
    numeric, categorical = dbt_vars["churn_numeric_features"], dbt_vars["churn_categorical_features"]
    assert contract_disagreements(columns, numeric[1:], categorical) == [
        f"{numeric[0]} is in the contract, not in the vars"
    ]
    assert contract_disagreements(columns, [*numeric, "visits_last_7d"], categorical) == [
        "visits_last_7d is in the vars, not in the contract"
    ]
    reordered = [numeric[1], numeric[0], *numeric[2:]]
    assert contract_disagreements(columns, reordered, categorical)[0].startswith("the contract lists")


def accepted_model_names(path: Path) -> list:
    """The `values` of every accepted_values test on a model_name column in `path`."""
    found = []
    for node in yaml.safe_load(path.read_text())["models"]:
        for column in node.get("columns", []):
            for test in column.get("data_tests", []):
                if column["name"] == "model_name" and isinstance(test, dict) and "accepted_values" in test:
                    found.append(test["accepted_values"]["arguments"]["values"])
    return found


def test_the_accepted_model_names_are_the_var(dbt_vars):
    accepted = [values for path in CHURN_YMLS for values in accepted_model_names(path)]
    assert accepted and set(map(str, accepted)) == {"{{ var('churn_models') }}"}
    check_models(dbt_vars["churn_models"])
