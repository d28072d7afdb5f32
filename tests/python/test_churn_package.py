"""The churn package on synthetic features, without a dbt build: validation schemes, and one fit of the
primary model that is a registry version (JSON) and scores exactly as the calibrated classifier it was."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from lifelines import WeibullAFTFitter
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import f1_score

from customer_scoring import treeshap
from customer_scoring.churn import (
    PRIMARY,
    SCHEME_COLUMNS,
    SURVIVAL,
    ChurnVersion,
    FeatureSet,
    FittedModel,
    Scheme,
    SurvivalModel,
    check_models,
    feature_importance,
    fit_models,
    fit_primary,
    holdout_predictions,
    model_metrics,
    model_status,
    registered_primary,
    risk_scores,
    scoring_scheme,
    validation_scheme,
)
from customer_scoring.churn.estimators import THRESHOLD_QUANTILES, estimators
from customer_scoring.churn.scoring import IMPORTANCE_COLUMNS, RISK_COLUMNS
from customer_scoring.churn.surrogate import SURROGATE_COLUMNS, surrogate_tree
from customer_scoring.churn.validation import HOLDOUT_COLUMNS
from customer_scoring.metrics import r_squared
from customer_scoring.registry import REGISTRY_COLUMNS, RetrainDecision, data_fingerprint
from customer_scoring.status import Unfittable

# The synthetic history below is laid out for this horizon (the scheme dates the tests expect follow from it);
# every other setting is the project's var.
HORIZON_DAYS = 90


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# A refit to version 3, as model_retrain_decisions would decide it.
DECISION = RetrainDecision(3, True, "drift", pd.Timestamp("2025-01-31"), 1234, "settings-md5")


def registered(features: pd.DataFrame, fit_settings: dict) -> pd.DataFrame:
    """The primary model fitted on `features` as the registry's version row."""
    return registered_primary(features, DECISION, HORIZON_DAYS, **fit_settings)


def typed(columns: dict[str, str]) -> dict:
    return {column: pd.Series(dtype=dtype).dtype for column, dtype in columns.items()}


@pytest.fixture(scope="module")
def feature_set(dbt_vars) -> FeatureSet:
    return FeatureSet(dbt_vars["churn_numeric_features"], dbt_vars["churn_categorical_features"])


@pytest.fixture(scope="module")
def fit_settings(dbt_vars, feature_set) -> dict:
    """What every fit takes besides the data and the horizon, as the Python models pass it."""
    return {
        "feature_set": feature_set,
        "max_rows": dbt_vars["churn_max_fit_rows"],
        "model_params": dbt_vars["churn_model_params"],
    }


@pytest.fixture(scope="module")
def tiers(dbt_vars) -> dict:
    return dbt_vars["churn_risk_tiers"]


@pytest.fixture
def contact_survival(dbt_vars) -> float:
    return dbt_vars["intervention_survival"]


def synthetic_features(months: int, feature_set: FeatureSet, customers: int = 200, seed: int = 0) -> pd.DataFrame:
    """Customers at month-end cutoffs from 2024-01-31, shaped like `customer_churn_features`: churn is likelier
    the longer since the last visit, and the label is null while its horizon runs past the last cutoff."""
    rng = np.random.default_rng(seed)
    cutoffs = pd.date_range("2024-01-31", periods=months, freq="ME").as_unit("us")
    features = pd.DataFrame(
        {
            "customer_id": np.tile([f"c{i:04d}" for i in range(customers)], months),
            "cutoff_date": np.repeat(cutoffs, customers),
        }
    )
    for column in feature_set.numeric:
        features[column] = rng.gamma(2.0, 20.0, len(features)).round()
    for column in feature_set.categorical:
        features[column] = rng.choice(["a", "b", "c"], len(features))
    pressure = (features["days_since_last_activity"] - 40) / 10 - 0.02 * features["sessions_last_30d"]
    churned = rng.random(len(features)) < 1 / (1 + np.exp(-pressure))
    known = features["cutoff_date"] + pd.Timedelta(days=HORIZON_DAYS) <= cutoffs[-1]
    features["churned"] = pd.Series(churned.astype(int), dtype="Int32").where(known)
    features["days_to_churn"] = np.where(churned, 0, rng.integers(1, 200, len(features)))
    features["churn_observed"] = (churned | (rng.random(len(features)) < 0.3)).astype(int)
    return features


@pytest.fixture(scope="module")
def features(feature_set) -> pd.DataFrame:
    return synthetic_features(months=12, feature_set=feature_set)


@pytest.fixture(scope="module")
def fitted(features, fit_settings) -> FittedModel:
    return fit_primary(features, HORIZON_DAYS, **fit_settings)


# Validation schemes. Labels are known at cutoffs whose 90-day horizon ends by the last cutoff.


def test_a_year_of_cutoffs_nests_three_horizons(features):
    """Labels known Jan-Sep 2024: test at Sep; calibrate at Jun (its label ends by Sep); train on Jan-Mar (theirs
    end by Jun). The final fit moves forward: calibrate at Sep, train on Jan-Jun."""
    scheme = validation_scheme(features, HORIZON_DAYS)
    assert scheme == Scheme(day("2024-01-31"), day("2024-03-31"), day("2024-06-30"), day("2024-09-30"))
    assert scheme.describe() == "train on cutoffs 2024-01-31 to 2024-03-31, calibrate at 2024-06-30, test at 2024-09-30"
    train, calibration = scheme.split(features)
    assert set(train["cutoff_date"]) == set(pd.date_range("2024-01-31", "2024-03-31", freq="ME"))
    assert len(train) == 3 * 200 and set(calibration["cutoff_date"]) == {day("2024-06-30")}
    final = scoring_scheme(features, HORIZON_DAYS)
    assert final == Scheme(day("2024-01-31"), day("2024-06-30"), day("2024-09-30"))
    assert final.describe() == "train on cutoffs 2024-01-31 to 2024-06-30, calibrate at 2024-09-30"


def test_two_horizons_calibrate_on_a_held_out_third_of_the_training_customers(feature_set):
    """Labels known Jan-May: test at May; only Jan and Feb end by then, and nothing before them ends by Feb."""
    features = synthetic_features(months=8, feature_set=feature_set)
    scheme = validation_scheme(features, HORIZON_DAYS)
    assert scheme == Scheme(day("2024-01-31"), day("2024-02-29"), None, day("2024-05-31"))
    assert "calibrate on a held-out third of their customers" in scheme.describe()
    train, calibration = scheme.split(features)
    assert set(train["cutoff_date"]) == set(calibration["cutoff_date"]) == {day("2024-01-31"), day("2024-02-29")}
    assert not set(train["customer_id"]) & set(calibration["customer_id"]), "a customer calibrates or trains"
    assert len(train) + len(calibration) == 2 * 200
    assert len(calibration) / 400 == pytest.approx(1 / 3, abs=0.08)
    assert scoring_scheme(features, HORIZON_DAYS) == Scheme(day("2024-01-31"), day("2024-02-29"), day("2024-05-31"))


@pytest.mark.parametrize(("months", "known"), [(5, 2), (3, 0)])
def test_too_short_a_history_is_unfittable(months, known, feature_set):
    features = synthetic_features(months=months, feature_set=feature_set, customers=50)
    with pytest.raises(Unfittable) as error:
        validation_scheme(features, HORIZON_DAYS)
    assert error.value.reason == f"{known} cutoff(s) with a known 90-day outcome, none ending before another"
    assert error.value.requirement.startswith("a month end with active buyers at least 180 days before the as-of")
    with pytest.raises(Unfittable):
        scoring_scheme(features, HORIZON_DAYS)


def test_one_class_is_unfittable(features):
    stayers = features.assign(churned=features["churned"] * 0)
    with pytest.raises(Unfittable) as error:
        validation_scheme(stayers, HORIZON_DAYS)
    assert (
        error.value.reason
        == "the training rows hold only one class (600 rows): churn cannot be learned or judged there"
    )
    assert error.value.requirement.startswith("customers who churn and customers who stay at the training cutoffs")


# One fit, serialized.


def test_the_registered_version_is_one_typed_row_without_pickle(features, fit_settings):
    frame = registered(features, fit_settings)
    assert len(frame) == 1 and frame.dtypes.to_dict() == typed(REGISTRY_COLUMNS)
    row = frame.iloc[0]
    assert (row["model_name"], row["model_version"], row["retrain_reason"]) == (PRIMARY, 3, "drift")
    assert (row["data_rows"], row["settings_fingerprint"]) == (1234, "settings-md5")
    assert row["training"] == "train on cutoffs 2024-01-31 to 2024-06-30, calibrate at 2024-09-30"
    assert row["as_of_date"] == DECISION.as_of_date and row["training_rows"] == len(features)
    assert row["data_fingerprint"] == data_fingerprint(features)
    artifact = json.loads(row["artifact"])
    assert set(artifact) == {"classifier", "survival"}
    classifier = artifact["classifier"]
    assert json.loads(classifier["booster"])["learner"]["objective"]["name"] == "binary:logistic"
    assert artifact["survival"]["features"] == fit_settings["feature_set"].numeric
    assert classifier["scheme"] == {
        "train_from": "2024-01-31",
        "train_to": "2024-06-30",
        "calibration_cutoff": "2024-09-30",
        "test_cutoff": None,  # the final fit is not tested
    }


def test_the_data_fingerprint_changes_with_any_value(features):
    changed = features.copy()
    changed.loc[len(changed) // 2, "lifetime_revenue"] += 0.01
    assert data_fingerprint(features) == data_fingerprint(features.copy())
    assert data_fingerprint(changed) != data_fingerprint(features)


def test_the_model_read_back_predicts_and_explains_bit_for_bit(features, fitted):
    again = FittedModel.from_artifact(fitted.to_artifact())
    np.testing.assert_array_equal(again.predict_proba(features), fitted.predict_proba(features))
    np.testing.assert_array_equal(again.contributions(features), fitted.contributions(features))
    assert again.booster.get_score(importance_type="total_gain") == fitted.booster.get_score(
        importance_type="total_gain"
    )
    assert (again.threshold, again.features, again.columns, again.scheme) == (
        fitted.threshold,
        fitted.features,
        fitted.columns,
        fitted.scheme,
    )
    assert again.to_artifact() == fitted.to_artifact()


def test_the_calibrator_read_back_is_the_same_function(fitted):
    """Rebuilt from its thresholds, the isotonic calibrator keeps them and maps every score as before: at the
    thresholds, between them, beyond them (clipped)."""
    before, after = fitted.calibrator, FittedModel.from_artifact(fitted.to_artifact()).calibrator
    for attribute in ("X_thresholds_", "y_thresholds_"):
        np.testing.assert_array_equal(getattr(after, attribute), getattr(before, attribute))
        assert getattr(after, attribute).dtype == getattr(before, attribute).dtype == np.float32
    grid = np.concatenate([before.X_thresholds_, np.linspace(-0.5, 1.5, 20_001, dtype=np.float32)])
    np.testing.assert_array_equal(after.predict(grid), before.predict(grid))


def test_the_version_survives_a_duckdb_table(features, fit_settings):
    """As dbt stores the registry's row and the next model (or run) reads it back."""
    frame = registered(features, fit_settings)
    version = ChurnVersion.from_registry(frame)
    fitted = version.classifier
    with duckdb.connect() as con:
        con.register("frame", frame)
        con.execute("create table churn_model as select * from frame")
        stored = con.sql("select * from churn_model").df()
    again = ChurnVersion.from_registry(stored)
    np.testing.assert_array_equal(again.classifier.predict_proba(features), fitted.predict_proba(features))
    np.testing.assert_array_equal(again.classifier.contributions(features), fitted.contributions(features))
    assert again.classifier.scheme == fitted.scheme
    np.testing.assert_array_equal(again.survival.median_days(features), version.survival.median_days(features))
    np.testing.assert_array_equal(
        again.survival.survival(features, [30, 90]), version.survival.survival(features, [30, 90])
    )


def test_a_held_out_third_scheme_survives_the_frame(feature_set, fit_settings):
    features = synthetic_features(months=8, feature_set=feature_set)
    scheme = validation_scheme(features, HORIZON_DAYS)
    fitted = fit_models(features, scheme, [PRIMARY], **fit_settings)[PRIMARY]
    again = FittedModel.from_artifact(fitted.to_artifact())
    assert again.scheme == fitted.scheme and again.scheme.calibration_cutoff is None
    np.testing.assert_array_equal(again.predict_proba(features), fitted.predict_proba(features))


def test_without_a_model_every_step_returns_its_empty_frame(features, fit_settings, dbt_vars, tiers, contact_survival):
    stayers = features.assign(churned=features["churned"] * 0)
    models, max_rows = dbt_vars["churn_models"], fit_settings["max_rows"]
    model = registered(stayers, fit_settings)
    assert ChurnVersion.from_registry(model) is None
    predictions = holdout_predictions(stayers, HORIZON_DAYS, models, **fit_settings)
    for frame, columns in (
        (model, REGISTRY_COLUMNS),
        (predictions, HOLDOUT_COLUMNS),
        (risk_scores(stayers, None, tiers, contact_survival), RISK_COLUMNS),
        (feature_importance(stayers, None, max_rows), IMPORTANCE_COLUMNS),
    ):
        assert frame.empty and frame.dtypes.to_dict() == typed(columns)
    status = model_status(stayers, model_metrics(predictions), HORIZON_DAYS, models)
    assert list(status["model_name"]) == models
    assert (status["status"] == "skipped").all() and status["reason"].str.contains("only one class").all()


# The registered model scores as the calibrated classifier did before it became JSON.


def _calibrated_classifier(
    features: pd.DataFrame, scheme: Scheme, feature_set: FeatureSet, model_params: dict
) -> tuple[CalibratedClassifierCV, float]:
    """XGBoost fitted as before the package: calibrated by scikit-learn's CalibratedClassifierCV over the
    frozen booster, with the F1-best threshold on the calibration rows."""
    train, calibration = scheme.split(features)
    X_train, y_train = feature_set.design_matrix(train), train["churned"].astype(int)
    X_cal = feature_set.design_matrix(calibration, list(X_train.columns))
    y_cal = calibration["churned"].astype(int)
    primary = estimators([PRIMARY], y_train.mean(), model_params, seed=0)[PRIMARY].fit(X_train, y_train)
    calibrated = CalibratedClassifierCV(FrozenEstimator(primary), method="isotonic").fit(X_cal, y_cal)
    return calibrated, _f1_best_threshold(calibrated, X_cal, y_cal)


def _f1_best_threshold(calibrated: CalibratedClassifierCV, X_cal: pd.DataFrame, y_cal: pd.Series) -> float:
    """The threshold of THRESHOLD_QUANTILES with the best scikit-learn f1_score on the calibration rows."""
    probability = calibrated.predict_proba(X_cal)[:, 1]
    candidates = np.unique(np.quantile(probability, THRESHOLD_QUANTILES))
    return max(candidates, key=lambda t: f1_score(y_cal, probability >= t))


def test_scores_and_importance_from_the_frame_are_those_of_the_calibrated_classifier(
    features, feature_set, fit_settings, tiers, contact_survival
):
    scheme = scoring_scheme(features, HORIZON_DAYS)
    calibrated, threshold = _calibrated_classifier(features, scheme, feature_set, fit_settings["model_params"])
    version = ChurnVersion.from_registry(registered(features, fit_settings))
    fitted = version.classifier
    assert fitted.threshold == threshold

    scores = risk_scores(features, version, tiers, contact_survival)
    recent = features[features["cutoff_date"] >= day("2024-11-30")].reset_index(drop=True)
    X = feature_set.design_matrix(recent, fitted.columns)
    np.testing.assert_array_equal(scores["churn_probability"], calibrated.predict_proba(X)[:, 1])
    booster = calibrated.estimator.estimator.get_booster()
    contributions = booster.predict(xgb.DMatrix(X), pred_contribs=True)[:, :-1]
    top = np.array(fitted.columns)[np.argsort(-contributions, axis=1, kind="stable")[:, :3]]
    as_of = (recent["cutoff_date"] == recent["cutoff_date"].max()).to_numpy()
    drivers = scores[["driver_1", "driver_2", "driver_3"]].to_numpy()
    np.testing.assert_array_equal(drivers[as_of], top[as_of])
    # The cutoff before is compared by probability and tier only: no drivers, no survival.
    assert scores.loc[~as_of, ["driver_1", "median_days_to_churn", "survival_90d"]].isna().all().all()

    importance = feature_importance(features, version, fit_settings["max_rows"]).set_index("feature_name")
    gain = booster.get_score(importance_type="total_gain")
    assert importance["total_gain"].to_dict() == {c: gain.get(c, 0.0) for c in fitted.columns}
    labelled = feature_set.design_matrix(features[features["churned"].notna()], fitted.columns)
    mean_abs_shap = np.abs(treeshap.Explainer(booster).contributions(labelled)).mean(axis=0)
    np.testing.assert_array_equal(importance.loc[fitted.columns, "mean_abs_shap"], mean_abs_shap)


def test_holdout_probabilities_are_those_of_the_calibrated_classifiers(feature_set, fit_settings, dbt_vars):
    """Every classifier, the logistic regression calibrated on its decision function included, predicts as
    CalibratedClassifierCV over it did, with the threshold of the best f1_score on the calibration rows."""
    features = synthetic_features(months=12, feature_set=feature_set, customers=100)
    scheme = validation_scheme(features, HORIZON_DAYS)
    _, calibration = scheme.split(features)
    test = features[features["cutoff_date"] == scheme.test_cutoff]
    y_cal = calibration["churned"].astype(int)
    for name, model in fit_models(features, scheme, dbt_vars["churn_models"], **fit_settings).items():
        X_cal = model.design_matrix(calibration)
        calibrated = CalibratedClassifierCV(FrozenEstimator(model.classifier), method="isotonic").fit(X_cal, y_cal)
        expected = calibrated.predict_proba(model.design_matrix(test))[:, 1]
        np.testing.assert_array_equal(model.predict_proba(test), expected, err_msg=name)
        assert model.threshold == _f1_best_threshold(calibrated, X_cal, y_cal), name


# The feature columns and the models validated are arguments (the vars), and a fit carries its features.


def test_a_model_reads_the_features_it_was_fitted_on(features, feature_set, fit_settings, tiers, contact_survival):
    """Fitted on fewer features, the model read back from the registry, and the survival model that scores beside
    it, read only those: the other feature columns may be missing when it scores."""
    fewer = FeatureSet(feature_set.numeric[:3], feature_set.categorical[:1])
    version = ChurnVersion.from_registry(registered(features, {**fit_settings, "feature_set": fewer}))
    fitted = version.classifier
    assert fitted.features == fewer and version.survival.features == fewer.numeric
    assert fitted.columns[:3] == fewer.numeric
    assert all(column.startswith(f"{fewer.categorical[0]}_") for column in fitted.columns[3:])
    targets = ["customer_id", "cutoff_date", "churned", "days_to_churn", "churn_observed"]
    only_fewer = features[targets + fewer.numeric + fewer.categorical]
    scores = risk_scores(only_fewer, version, tiers, contact_survival)
    np.testing.assert_array_equal(scores["churn_probability"], fitted.predict_proba(only_fewer.tail(len(scores))))
    as_of = scores[scores["cutoff_date"] == scores["cutoff_date"].max()]
    assert as_of["driver_1"].isin(fitted.columns).all()


def test_the_design_matrix_is_pandas_one_hot_encoding(features, feature_set):
    """The design matrix equals pandas' get_dummies of the features as floats, reindexed to the training columns at
    scoring time (the reference it replaces for speed), with missing values, nullable integers and a category
    unseen in training or absent from the rows."""
    rows = features.head(500).copy()
    rows[feature_set.numeric[0]] = rows[feature_set.numeric[0]].round().astype("Int64").mask(rows.index % 5 == 0)
    rows[feature_set.categorical[0]] = rows[feature_set.categorical[0]].mask(rows.index % 7 == 0)
    rows.loc[rows.index[:3], feature_set.categorical[-1]] = "unseen"

    def reference(rows, columns=None):
        matrix = pd.get_dummies(rows[feature_set.numeric + feature_set.categorical], columns=feature_set.categorical)
        matrix = matrix.astype(float)
        return matrix if columns is None else matrix.reindex(columns=columns, fill_value=0.0)

    pd.testing.assert_frame_equal(feature_set.design_matrix(rows), reference(rows))
    columns = [*reversed(reference(features.head(500)).columns), f"{feature_set.categorical[0]}_absent"]
    pd.testing.assert_frame_equal(feature_set.design_matrix(rows, columns), reference(rows, columns))


def test_the_survival_model_predicts_as_lifelines_and_reads_back_bit_for_bit(features, feature_set, fit_settings):
    """Its median and survival probabilities are lifelines' WeibullAFTFitter's, from the fit's parameters alone;
    written as JSON and read back, it predicts the same floats."""
    numeric, params = feature_set.numeric[:3], fit_settings["model_params"][SURVIVAL]
    survival = SurvivalModel(numeric, params, fit_settings["max_rows"]).fit(features)
    assert survival.coefficients_.shape == (3,)
    X = pd.DataFrame(survival._standardized(features), columns=numeric)
    data = X.assign(duration=features["days_to_churn"].to_numpy() + 1.0, observed=features["churn_observed"].to_numpy())
    fitter = WeibullAFTFitter(**params).fit(data, "duration", "observed")
    lifelines_median = np.clip(fitter.predict_median(X).to_numpy() - 1.0, 0, None)
    np.testing.assert_allclose(survival.median_days(features), lifelines_median, rtol=1e-12)
    lifelines_survival = fitter.predict_survival_function(X, times=[31.0, 91.0]).to_numpy().T
    np.testing.assert_allclose(survival.survival(features, [30, 90]), lifelines_survival, rtol=1e-12)
    again = SurvivalModel.from_artifact(json.loads(json.dumps(survival.to_artifact())))
    np.testing.assert_array_equal(again.median_days(features), survival.median_days(features))
    np.testing.assert_array_equal(again.survival(features, [30, 90]), survival.survival(features, [30, 90]))


def test_the_models_validated_are_those_named(feature_set, fit_settings, dbt_vars):
    check_models(dbt_vars["churn_models"])  # the var names models the package knows
    features = synthetic_features(months=12, feature_set=feature_set, customers=100)
    chosen = [PRIMARY, SURVIVAL]
    predictions = holdout_predictions(features, HORIZON_DAYS, chosen, **fit_settings)
    assert list(predictions["model_name"].unique()) == chosen
    status = model_status(features, model_metrics(predictions), HORIZON_DAYS, chosen)
    assert list(status["model_name"]) == chosen and (status["status"] == "fitted").all()
    # fit_churn_model_status reads only the scheme's columns, and gets the same status.
    pd.testing.assert_frame_equal(
        model_status(features[SCHEME_COLUMNS], model_metrics(predictions), HORIZON_DAYS, chosen), status
    )
    with pytest.raises(ValueError, match=r"unknown churn models \['svm'\]"):
        check_models([*dbt_vars["churn_models"], "svm"])
    with pytest.raises(ValueError, match="must include xgboost"):
        holdout_predictions(features, HORIZON_DAYS, [SURVIVAL], **fit_settings)


def _rule_rows(rule: str, rows: pd.DataFrame) -> np.ndarray:
    """The rows a surrogate leaf's rule selects, its conditions read back from their words."""
    selected = np.ones(len(rows), dtype=bool)
    for condition in rule.split(" and "):
        words = condition.split(" ")
        if len(words) == 5:  # low < column <= high
            values = rows[words[2]]
            selected &= ((values > float(words[0])) & (values <= float(words[4]))).to_numpy()
            continue
        column, operator, value = words
        values = rows[column]
        number = value if values.dtype == object else float(value)
        selected &= {"<=": values <= number, ">": values > number, "=": values == number, "!=": values != number}[
            operator
        ].to_numpy()
    return selected


def test_the_surrogate_tree_reads_as_rules_that_partition_the_rows(features, fit_settings, dbt_vars):
    version = ChurnVersion.from_registry(registered(features, fit_settings))
    settings = dbt_vars["surrogate_tree"]
    leaves = surrogate_tree(features, version, fit_settings["max_rows"], **settings)
    assert leaves.dtypes.to_dict() == typed(SURROGATE_COLUMNS)
    labelled = features[features["churned"].notna()].reset_index(drop=True)
    probability = version.classifier.predict_proba(labelled)
    tree_probability = np.full(len(labelled), np.nan)
    for leaf in leaves.itertuples():
        rows = _rule_rows(leaf.rule, labelled)
        assert rows.sum() == leaf.rows and np.isnan(tree_probability[rows]).all(), leaf.rule
        assert probability[rows].mean() == pytest.approx(leaf.mean_churn_probability, rel=1e-12)
        assert len(leaf.rule.split(" and ")) <= settings["max_depth"]
        tree_probability[rows] = leaf.mean_churn_probability
    assert not np.isnan(tree_probability).any() and len(leaves) <= 2 ** settings["max_depth"]
    assert leaves["fidelity_r2"].unique() == pytest.approx([r_squared(probability, tree_probability)], rel=1e-9)
    # Churn here follows days since the last visit: the tree finds it, and reproduces most of the model.
    assert leaves["fidelity_r2"].iloc[0] > 0.6
    assert "days_since_last_activity" in leaves["rule"].iloc[0]
    assert (leaves["mean_churn_probability"].diff().dropna() <= 0).all()
    assert leaves["row_share"].sum() == pytest.approx(1.0)
