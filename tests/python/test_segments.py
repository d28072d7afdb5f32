"""Segments and next best actions: k recovered by silhouette, names follow the profile, the budget holds."""

from __future__ import annotations

import string

import numpy as np
import pandas as pd
import pytest

from customer_scoring.registry import REGISTRY_COLUMNS, RetrainDecision
from customer_scoring.segments import (
    SEGMENT_COLUMNS,
    KMeansSettings,
    SegmentFeatures,
    SegmentVersion,
    assign_segments,
    fit_version,
    model_status,
    registered_model,
    select_k,
)

DECISION = RetrainDecision(2, True, "age", pd.Timestamp("2025-01-31"), 2000, "settings-md5")


@pytest.fixture
def spec(dbt_vars) -> SegmentFeatures:
    """The segment features as the project defines them (the segment_features vars)."""
    return SegmentFeatures(dbt_vars["segment_features"], dbt_vars["segment_log_features"])


@pytest.fixture
def kmeans(dbt_vars) -> KMeansSettings:
    return KMeansSettings(**dbt_vars["segment_kmeans"])


# Four cluster centres in standard-deviation units, one column per segment feature; each column is
# balanced (two +1, two -1), so standardizing the generated features gives these centres back.
CENTRES = np.array(
    [
        [1, 1, -1, 1, -1, 1, -1],
        [1, -1, 1, -1, 1, -1, 1],
        [-1, 1, 1, -1, -1, 1, 1],
        [-1, -1, -1, 1, 1, -1, -1],
    ],
    dtype=float,
)


def blobs(spec: SegmentFeatures, centres: np.ndarray, per_centre: int = 500, spread: float = 0.1) -> pd.DataFrame:
    """Customers around the centres; heavy-tailed features are written so their log1p is the centre."""
    rng = np.random.default_rng(3)
    values = np.repeat(centres, per_centre, axis=0) + rng.normal(
        0, spread, (len(centres) * per_centre, len(spec.names))
    )
    frame = pd.DataFrame(values, columns=spec.names)
    frame[spec.log_scaled] = np.expm1(frame[spec.log_scaled] + 5)
    frame["customer_id"] = [f"c{i:05d}" for i in range(len(frame))]
    frame["centre"] = np.repeat(np.arange(len(centres)), per_centre)
    return frame.sample(frac=1, random_state=1)


def archetypes(spec: SegmentFeatures, centres: np.ndarray, names: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(centres, columns=spec.names)
    frame.insert(0, "segment_name", names)
    frame.insert(1, "segment_description", [f"about {name}" for name in names])
    return frame


def test_silhouette_picks_the_number_of_separated_groups(spec, kmeans):
    selection = select_k(blobs(spec, CENTRES), spec, k_min=2, k_max=7, settings=kmeans)
    assert selection["k"].tolist() == list(range(2, 8))
    assert selection.loc[selection["is_selected"], "k"].tolist() == [4]
    assert selection["silhouette"].between(-1, 1).all()


def test_each_cluster_takes_the_name_of_its_nearest_archetype(spec, kmeans):
    frame = blobs(spec, CENTRES)
    names = list(string.ascii_uppercase[: len(CENTRES)])
    # Distractors near no cluster, listed first so a name cannot come from the seed's order.
    distractors = archetypes(spec, np.vstack([np.zeros(len(spec.names)), 2 * CENTRES[0]]), ["zero", "twice A"])
    seed = pd.concat([distractors, archetypes(spec, CENTRES, names)])
    version = fit_version(frame, spec, 4, seed, kmeans)
    segments = assign_segments(frame, version).merge(frame[["customer_id", "centre"]], on="customer_id")
    assert (segments["segment_name"] == segments["centre"].map(dict(enumerate(names)))).all()
    assert (segments["segment_description"] == "about " + segments["segment_name"]).all()
    assert segments["distance_to_centroid"].between(0, 1).all()


def test_refuses_what_it_cannot_segment_or_name(spec, kmeans):
    frame = blobs(spec, CENTRES)
    with pytest.raises(ValueError, match="need at least 5 archetypes"):
        fit_version(frame, spec, 5, archetypes(spec, CENTRES, list("ABCD")), kmeans)
    with pytest.raises(ValueError, match="k_min <= k_max"):
        select_k(frame, spec, 5, 4, kmeans)


def test_the_registered_version_assigns_as_k_means_labelled_and_reads_back_bit_for_bit(spec, kmeans):
    """On the fitted buyers, the nearest registered centroid is the cluster K-means gave each of them; the
    version read back from its row assigns the same segments and distances, and later buyers are scaled as
    the fitted ones were."""
    frame = blobs(spec, CENTRES)
    selection = select_k(frame, spec, 2, 7, kmeans)
    model = registered_model(frame, spec, selection, archetypes(spec, CENTRES, list("ABCD")), kmeans, DECISION)
    row = model.iloc[0]
    assert (row["model_name"], row["model_version"], row["retrain_reason"]) == ("kmeans", 2, "age")
    version = SegmentVersion.from_registry(model)
    segments = assign_segments(frame, version)
    assert segments.dtypes.to_dict() == {c: pd.Series(dtype=t).dtype for c, t in SEGMENT_COLUMNS.items()}
    labelled = segments.merge(frame[["customer_id", "centre"]], on="customer_id")
    assert (labelled["segment_name"] == labelled["centre"].map(dict(enumerate("ABCD")))).all()
    again = SegmentVersion.from_registry(model.copy())
    pd.testing.assert_frame_equal(assign_segments(frame, again), segments)
    # Half the buyers later: the version's scaling, not theirs, so each keeps the segment it had.
    later = frame.head(len(frame) // 2)
    kept = assign_segments(later, version).merge(segments, on="customer_id", suffixes=("", "_before"))
    assert (kept["segment_name"] == kept["segment_name_before"]).all()
    np.testing.assert_array_equal(kept["distance_to_centroid"], kept["distance_to_centroid_before"])


def test_too_few_buyers_select_no_k_and_say_why(spec, kmeans):
    buyers = kmeans.min_buyers_per_segment * 8 - 1
    few = blobs(spec, CENTRES).head(buyers)
    selection = select_k(few, spec, 2, 8, kmeans)
    model = registered_model(few, spec, selection, archetypes(spec, CENTRES, list("ABCD")), kmeans, DECISION)
    assert selection.empty and model.empty and list(model.columns) == list(REGISTRY_COLUMNS)
    assert assign_segments(few, SegmentVersion.from_registry(model)).empty
    (status,) = model_status(few, spec, selection, 8, kmeans).to_dict("records")
    assert status["status"] == "skipped"
    assert status["reason"] == f"{buyers} buyers are too few to choose among up to 8 segments"


def test_a_feature_whose_model_was_not_fitted_is_left_out(spec, kmeans):
    frame = blobs(spec, CENTRES)
    without_clv = frame.assign(clv_12m=np.nan)
    selection = select_k(without_clv, spec, 2, 7, kmeans)
    assert selection.loc[selection["is_selected"], "k"].item() == len(CENTRES)
    (status,) = model_status(without_clv, spec, selection, 7, kmeans).to_dict("records")
    assert status["validation"].endswith("left out (model not fitted): clv_12m")


def test_segments_cover_every_buyer_with_names_that_fit_their_profiles(con):
    buyers = con.execute("select count(*) from customer_rfm").fetchone()[0]
    assert con.execute("select count(distinct customer_id) from customer_segments").fetchone()[0] == buyers
    profiles = con.execute("select * from customer_segment_profiles").df().set_index("segment_name")
    selection = con.execute("select * from fit_segment_k_selection order by k").df()
    best = selection.loc[selection["silhouette"].idxmax()]
    assert len(profiles) == best["k"] == profiles["segment_count"].iloc[0]
    assert profiles["customers"].sum() == buyers
    # The names say what the profile shows: champions are worth most at below-average risk (recent engaged
    # newcomers may risk less), lapsed are the longest gone.
    mean_churn = (profiles["avg_churn_probability"] * profiles["customers"]).sum() / buyers
    assert profiles["avg_clv_12m"].idxmax() == "Champions"
    assert profiles.loc["Champions", "avg_churn_probability"] < mean_churn / 2
    assert profiles["avg_recency_days"].idxmax() == "Lapsed"


def test_next_best_action_follows_the_rules_and_spends_the_budget_on_the_most_value(con, dbt_vars):
    actions = con.execute("select * from customer_next_best_action").df()
    assert actions["customer_id"].is_unique
    critical_high_value = actions[(actions["risk_tier"] == "critical") & (actions["value_band"] == "high")]
    assert (critical_high_value["next_best_action"] == "retention_call_and_offer").all()
    lapsed = actions[actions["risk_tier"] == "lapsed"]
    assert lapsed["next_best_action"].isin(["winback_offer", "winback_email"]).all()
    funded = actions[actions["is_funded"]]
    assert 0 < funded["action_cost"].sum() <= dbt_vars["next_best_action_budget"]
    assert (funded["expected_net_value"] > 0).all()
    unfunded = actions[~actions["is_funded"] & (actions["expected_net_value"] > 0)]
    assert unfunded.empty or unfunded["expected_net_value"].max() <= funded["expected_net_value"].min()


def test_the_contact_date_comes_before_the_survival_floor(con):
    rows = con.execute(
        """select a.risk_tier, a.recommended_contact_date, a.as_of_date, r.days_to_contact
        from customer_next_best_action as a left join customer_churn_risk as r on a.customer_id = r.customer_id"""
    ).df()
    lapsed = rows[rows["risk_tier"] == "lapsed"]
    assert len(lapsed) and (lapsed["recommended_contact_date"] == lapsed["as_of_date"]).all()
    scored = rows[rows["risk_tier"] != "lapsed"]
    days = (scored["recommended_contact_date"] - scored["as_of_date"]).dt.days
    assert (days == np.floor(scored["days_to_contact"])).all() and (days > 0).any()
