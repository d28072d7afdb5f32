"""Customer segments: K-means on standardized RFM, engagement, CLV and churn features.

The number of segments k is the one with the best silhouette within a range; k is chosen on a sample
(silhouette is quadratic in rows: it is scored on a smaller one) and the final clustering runs on
every customer. Each cluster is named after the archetype (a seed of named prototype profiles in
standard-deviation units) nearest to its centroid, with every archetype used at most once, so names are
unique and follow the profile.

A feature whose model was not fitted (see `model_status`: CLV or churn skipped on a short history) is
null and left out; the segments cluster, and are named, on the features that are there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from customer_scoring.status import Unfittable, empty_frame, fitted, skipped, status_frame

SEED = 0
FAMILY, MODEL = "segments", "kmeans"
SELECTION_COLUMNS = {"k": "int64", "silhouette": "float64", "sample_size": "int64", "is_selected": "bool"}
SEGMENT_COLUMNS = {"customer_id": "string", "segment_name": "string", "segment_description": "string"}
SEGMENT_COLUMNS["distance_to_centroid"] = "float64"


@dataclass(frozen=True)
class SegmentFeatures:
    """The features K-means clusters on and those it log-scales first (the `segment_features` and
    `segment_log_features` vars)."""

    names: list[str]
    log_scaled: list[str]


@dataclass(frozen=True)
class KMeansSettings:
    """How K-means runs and when there are enough buyers for it (the `segment_kmeans` var)."""

    n_init: int  # random starts of each clustering; the best is kept
    selection_sample: int  # buyers the k is chosen on
    silhouette_sample: int  # buyers each k's silhouette is scored on
    min_buyers_per_segment: int  # buyers needed per segment of the largest k


def usable_features(features: pd.DataFrame, spec: SegmentFeatures) -> list[str]:
    """The segment features without nulls: a score whose model was not fitted is null and left out."""
    missing = [column for column in spec.names if column not in features]
    if missing:
        raise ValueError(f"segment features are missing columns: {missing}")
    return [column for column in spec.names if features[column].notna().all()]


def standardize(features: pd.DataFrame, columns: list[str], spec: SegmentFeatures) -> np.ndarray:
    """The feature matrix in standard-deviation units, log1p on the heavy-tailed features."""
    values = features[columns].astype(float)
    logged = [column for column in spec.log_scaled if column in columns]
    values[logged] = np.log1p(values[logged].clip(lower=0))
    spread = values.std(ddof=0).replace(0.0, 1.0)
    return ((values - values.mean()) / spread).to_numpy()


def _kmeans(k: int, settings: KMeansSettings) -> KMeans:
    return KMeans(n_clusters=k, n_init=settings.n_init, random_state=SEED)


def _one_thread():
    """K-means adds its threads' partial sums in the order the threads finish: one thread keeps the
    centroids, and so the segments, bit-identical from run to run."""
    return threadpool_limits(limits=1, user_api="openmp")


def select_k(
    features: pd.DataFrame, spec: SegmentFeatures, k_min: int, k_max: int, settings: KMeansSettings
) -> pd.DataFrame:
    """Silhouette of K-means for each k in [k_min, k_max] on a sample; `is_selected` marks the best."""
    if not 2 <= k_min <= k_max:
        raise ValueError(f"need 2 <= k_min <= k_max, got k_min={k_min}, k_max={k_max}")
    try:
        _check_segmentable(features, spec, k_max, settings)
    except Unfittable:
        return empty_frame(SELECTION_COLUMNS)
    matrix = standardize(features.sort_values("customer_id"), usable_features(features, spec), spec)
    rng = np.random.default_rng(SEED)
    sample = matrix[rng.permutation(len(matrix))[: settings.selection_sample]]
    rows = []
    for k in range(k_min, k_max + 1):
        with _one_thread():
            labels = _kmeans(k, settings).fit_predict(sample)
        silhouette = silhouette_score(
            sample, labels, sample_size=min(settings.silhouette_sample, len(sample)), random_state=SEED
        )
        rows.append({"k": k, "silhouette": float(silhouette), "sample_size": len(sample)})
    selection = pd.DataFrame(rows)
    selection["is_selected"] = selection["k"] == selection.loc[selection["silhouette"].idxmax(), "k"]
    return selection


def assign_segments(
    features: pd.DataFrame, spec: SegmentFeatures, k: int, archetypes: pd.DataFrame, settings: KMeansSettings
) -> pd.DataFrame:
    """Cluster every customer into k segments named after the nearest archetypes.

    `archetypes` holds `segment_name`, `segment_description` and one prototype level per feature in
    standard-deviation units. Returns customer_id, segment_name, segment_description and the
    customer's distance to its segment's centroid (in standard-deviation units).
    """
    if k > len(archetypes):
        raise ValueError(f"{k} segments need at least {k} archetypes to name them; the seed has {len(archetypes)}")
    features = features.sort_values("customer_id", ignore_index=True)
    columns = usable_features(features, spec)
    matrix = standardize(features, columns, spec)
    with _one_thread():
        kmeans = _kmeans(k, settings).fit(matrix)
    prototypes = archetypes[columns].to_numpy(dtype=float)
    cost = ((kmeans.cluster_centers_[:, None, :] - prototypes[None, :, :]) ** 2).sum(axis=2)
    clusters, chosen = linear_sum_assignment(cost)
    names = archetypes.iloc[chosen[np.argsort(clusters)]].reset_index(drop=True)
    labels = kmeans.labels_
    return pd.DataFrame(
        {
            "customer_id": features["customer_id"],
            "segment_name": names["segment_name"].to_numpy()[labels],
            "segment_description": names["segment_description"].to_numpy()[labels],
            "distance_to_centroid": np.linalg.norm(matrix - kmeans.cluster_centers_[labels], axis=1),
        }
    )


def _check_segmentable(features: pd.DataFrame, spec: SegmentFeatures, k_max: int, settings: KMeansSettings) -> None:
    needed = settings.min_buyers_per_segment * k_max
    if len(features) < needed:
        raise Unfittable(
            f"{len(features)} buyers are too few to choose among up to {k_max} segments",
            f"at least {needed} buyers ({settings.min_buyers_per_segment} per segment of segment_k_range's max)",
        )
    if len(usable_features(features, spec)) < 2:
        raise Unfittable("fewer than two segment features have values", "the CLV or churn model to be fitted")


def segment(
    features: pd.DataFrame,
    spec: SegmentFeatures,
    selection: pd.DataFrame,
    archetypes: pd.DataFrame,
    settings: KMeansSettings,
) -> pd.DataFrame:
    """Every customer's segment with the selected k (none when no k could be selected)."""
    if not selection["is_selected"].any():
        return empty_frame(SEGMENT_COLUMNS)
    k = int(selection.loc[selection["is_selected"], "k"].item())
    return assign_segments(features, spec, k, archetypes, settings)


def model_status(
    features: pd.DataFrame, spec: SegmentFeatures, selection: pd.DataFrame, k_max: int, settings: KMeansSettings
) -> pd.DataFrame:
    """K-means: fitted (k, silhouette, the features it used and left out) or skipped and why."""
    try:
        _check_segmentable(features, spec, k_max, settings)
    except Unfittable as error:
        return status_frame([skipped(FAMILY, MODEL, error)])
    best = selection[selection["is_selected"]].iloc[0]
    used = usable_features(features, spec)
    left_out = [column for column in spec.names if column not in used]
    validation = (
        f"k = {best['k']} by silhouette {best['silhouette']:.3f} on {best['sample_size']} buyers; "
        f"clustered on {', '.join(used)}"
        + (f"; left out (model not fitted): {', '.join(left_out)}" if left_out else "")
    )
    return status_frame([fitted(FAMILY, MODEL, validation, is_selected=True)])
