"""Segments and next best actions: k recovered by silhouette, names follow the profile, the budget holds."""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from customer_scoring.segments import SegmentFeatures, assign_segments, model_status, segment, select_k

# The segment features as the project defines them (the segment_features vars).
VARS = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text())["vars"]
SPEC = SegmentFeatures(VARS["segment_features"], VARS["segment_log_features"])
FEATURES, LOG_FEATURES = SPEC.names, SPEC.log_scaled

# Four cluster centres in standard-deviation units; each column is balanced (two +1, two -1), so
# standardizing the generated features gives these centres back.
CENTRES = np.array(
    [
        [1, 1, -1, 1, -1, 1, -1],
        [1, -1, 1, -1, 1, -1, 1],
        [-1, 1, 1, -1, -1, 1, 1],
        [-1, -1, -1, 1, 1, -1, -1],
    ],
    dtype=float,
)


def blobs(centres: np.ndarray, per_centre: int = 500, spread: float = 0.1) -> pd.DataFrame:
    """Customers around the centres; heavy-tailed features are written so their log1p is the centre."""
    rng = np.random.default_rng(3)
    values = np.repeat(centres, per_centre, axis=0) + rng.normal(0, spread, (len(centres) * per_centre, len(FEATURES)))
    frame = pd.DataFrame(values, columns=FEATURES)
    frame[LOG_FEATURES] = np.expm1(frame[LOG_FEATURES] + 5)
    frame["customer_id"] = [f"c{i:05d}" for i in range(len(frame))]
    frame["centre"] = np.repeat(np.arange(len(centres)), per_centre)
    return frame.sample(frac=1, random_state=1)


def archetypes(centres: np.ndarray, names: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(centres, columns=FEATURES)
    frame.insert(0, "segment_name", names)
    frame.insert(1, "segment_description", [f"about {name}" for name in names])
    return frame


def test_silhouette_picks_the_number_of_separated_groups():
    selection = select_k(blobs(CENTRES), SPEC, k_min=2, k_max=7)
    assert selection["k"].tolist() == list(range(2, 8))
    assert selection.loc[selection["is_selected"], "k"].tolist() == [4]
    assert selection["silhouette"].between(-1, 1).all()


def test_each_cluster_takes_the_name_of_its_nearest_archetype():
    frame = blobs(CENTRES)
    names = list(string.ascii_uppercase[: len(CENTRES)])
    # Distractors near no cluster, listed first so a name cannot come from the seed's order.
    distractors = archetypes(np.vstack([np.zeros(len(FEATURES)), 2 * CENTRES[0]]), ["zero", "twice A"])
    seed = pd.concat([distractors, archetypes(CENTRES, names)])
    segments = assign_segments(frame, SPEC, 4, seed).merge(frame[["customer_id", "centre"]], on="customer_id")
    assert (segments["segment_name"] == segments["centre"].map(dict(enumerate(names)))).all()
    assert (segments["segment_description"] == "about " + segments["segment_name"]).all()
    assert segments["distance_to_centroid"].between(0, 1).all()


def test_refuses_what_it_cannot_segment_or_name():
    frame = blobs(CENTRES)
    with pytest.raises(ValueError, match="need at least 5 archetypes"):
        assign_segments(frame, SPEC, 5, archetypes(CENTRES, list("ABCD")))
    with pytest.raises(ValueError, match="k_min <= k_max"):
        select_k(frame, SPEC, 5, 4)


def test_too_few_buyers_select_no_k_and_say_why():
    few = blobs(CENTRES).head(30)
    selection = select_k(few, SPEC, 2, 8)
    assert selection.empty and segment(few, SPEC, selection, archetypes(CENTRES, list("ABCD"))).empty
    (status,) = model_status(few, SPEC, selection, k_max=8).to_dict("records")
    assert (
        status["status"] == "skipped" and status["reason"] == "30 buyers are too few to choose among up to 8 segments"
    )


def test_a_feature_whose_model_was_not_fitted_is_left_out():
    frame = blobs(CENTRES)
    without_clv = frame.assign(clv_12m=np.nan)
    selection = select_k(without_clv, SPEC, 2, 7)
    assert selection.loc[selection["is_selected"], "k"].item() == len(CENTRES)
    (status,) = model_status(without_clv, SPEC, selection, k_max=7).to_dict("records")
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
