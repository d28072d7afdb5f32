"""The churn package on synthetic features, without a dbt build: validation schemes, and fitted models that
predict exactly as scikit-learn's calibrated classifiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

from customer_scoring.churn import (
    CATEGORICAL,
    NUMERIC,
    Scheme,
    design_matrix,
    fit_models,
    scoring_scheme,
    validation_scheme,
)
from customer_scoring.status import Unfittable

HORIZON_DAYS = 90


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def synthetic_features(months: int, customers: int = 200, seed: int = 0) -> pd.DataFrame:
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
    for column in NUMERIC:
        features[column] = rng.gamma(2.0, 20.0, len(features)).round()
    for column, values in zip(CATEGORICAL, (["basic", "pro", "team"], ["ads", "organic", "referral"]), strict=True):
        features[column] = rng.choice(values, len(features))
    pressure = (features["days_since_last_activity"] - 40) / 10 - 0.02 * features["sessions_last_30d"]
    churned = rng.random(len(features)) < 1 / (1 + np.exp(-pressure))
    known = features["cutoff_date"] + pd.Timedelta(days=HORIZON_DAYS) <= cutoffs[-1]
    features["churned"] = pd.Series(churned.astype(int), dtype="Int32").where(known)
    features["days_to_churn"] = np.where(churned, 0, rng.integers(1, 200, len(features)))
    features["churn_observed"] = (churned | (rng.random(len(features)) < 0.3)).astype(int)
    return features


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    return synthetic_features(months=12)


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


def test_two_horizons_calibrate_on_a_held_out_third_of_the_training_customers():
    """Labels known Jan-May: test at May; only Jan and Feb end by then, and nothing before them ends by Feb."""
    features = synthetic_features(months=8)
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
def test_too_short_a_history_is_unfittable(months, known):
    features = synthetic_features(months=months, customers=50)
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


# Fitted models predict as CalibratedClassifierCV over the fitted classifier did.


def test_holdout_probabilities_are_those_of_the_calibrated_classifiers():
    """Every classifier, the logistic regression calibrated on its decision function included, predicts as
    CalibratedClassifierCV over it did."""
    features = synthetic_features(months=12, customers=100)
    scheme = validation_scheme(features, HORIZON_DAYS)
    _, calibration = scheme.split(features)
    test = features[features["cutoff_date"] == scheme.test_cutoff]
    for name, model in fit_models(features, scheme).items():
        X_cal = design_matrix(calibration, model.columns)
        calibrated = CalibratedClassifierCV(FrozenEstimator(model.classifier), method="isotonic")
        calibrated.fit(X_cal, calibration["churned"].astype(int))
        expected = calibrated.predict_proba(design_matrix(test, model.columns))[:, 1]
        np.testing.assert_array_equal(model.predict_proba(test), expected, err_msg=name)
