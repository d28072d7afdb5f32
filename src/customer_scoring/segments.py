"""Customer segments: K-means on standardized RFM, engagement, CLV and churn features.

The number of segments k is the one with the best silhouette within a range; k is chosen on a sample
(silhouette is quadratic in rows: it is scored on a smaller one) and the final clustering runs on
every customer. Each cluster is named after the archetype (a seed of named prototype profiles in
standard-deviation units) nearest to its centroid, with every archetype used at most once, so names are
unique and follow the profile.

A feature whose model was not fitted (see `model_status`: CLV or churn skipped on a short history) is
null and left out; the segments cluster, and are named, on the features that are there.

The clustering (the features, their scaling, the named centroids) is the segments' version in the model
registry (`SegmentVersion`, `customer_scoring.registry`): every run puts every buyer in the segment of the
registered version's nearest centroid, whether or not it refitted.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from customer_scoring.registry import REGISTRY_COLUMNS, RetrainDecision
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


def _log_scaled(features: pd.DataFrame, columns: list[str], spec: SegmentFeatures) -> pd.DataFrame:
    values = features[columns].astype(float)
    logged = [column for column in spec.log_scaled if column in columns]
    values[logged] = np.log1p(values[logged].clip(lower=0))
    return values


def standardize(features: pd.DataFrame, columns: list[str], spec: SegmentFeatures) -> np.ndarray:
    """The feature matrix in standard-deviation units, log1p on the heavy-tailed features."""
    values = _log_scaled(features, columns, spec)
    return ((values - values.mean()) / _spread(values)).to_numpy()


def _spread(values: pd.DataFrame) -> pd.Series:
    return values.std(ddof=0).replace(0.0, 1.0)


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


@dataclass(frozen=True)
class SegmentVersion:
    """A registered version of the segments: the features it clusters on, how it scales them (log1p, then the
    fitted population's mean and spread) and its centroids, each with the archetype that names it."""

    spec: SegmentFeatures
    columns: list[str]
    mean: list[float]
    spread: list[float]
    centroids: list[list[float]]
    names: list[str]
    descriptions: list[str]

    def matrix(self, features: pd.DataFrame) -> np.ndarray:
        """`features` in the version's standard-deviation units."""
        values = _log_scaled(features, self.columns, self.spec)
        index = pd.Index(self.columns)
        return ((values - pd.Series(self.mean, index=index)) / pd.Series(self.spread, index=index)).to_numpy()

    def to_artifact(self) -> str:
        """JSON (floats round-trip)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_registry(cls, version: pd.DataFrame) -> SegmentVersion | None:
        """The version of a row of the registry (`registry.REGISTRY_COLUMNS`), or None from no row."""
        if version.empty:
            return None
        saved = json.loads(version["artifact"].item())
        return cls(**{**saved, "spec": SegmentFeatures(**saved["spec"])})


def fit_version(
    features: pd.DataFrame, spec: SegmentFeatures, k: int, archetypes: pd.DataFrame, settings: KMeansSettings
) -> SegmentVersion:
    """K-means with k segments on every customer, each cluster named after its nearest archetype.

    `archetypes` holds `segment_name`, `segment_description` and one prototype level per feature in
    standard-deviation units; each archetype names at most one cluster.
    """
    if k > len(archetypes):
        raise ValueError(f"{k} segments need at least {k} archetypes to name them; the seed has {len(archetypes)}")
    features = features.sort_values("customer_id", ignore_index=True)
    columns = usable_features(features, spec)
    values = _log_scaled(features, columns, spec)
    mean, spread = values.mean(), _spread(values)
    with _one_thread():
        kmeans = _kmeans(k, settings).fit(((values - mean) / spread).to_numpy())
    prototypes = archetypes[columns].to_numpy(dtype=float)
    cost = ((kmeans.cluster_centers_[:, None, :] - prototypes[None, :, :]) ** 2).sum(axis=2)
    clusters, chosen = linear_sum_assignment(cost)
    names = archetypes.iloc[chosen[np.argsort(clusters)]].reset_index(drop=True)
    return SegmentVersion(
        spec,
        columns,
        mean.tolist(),
        spread.tolist(),
        kmeans.cluster_centers_.tolist(),
        names["segment_name"].tolist(),
        names["segment_description"].tolist(),
    )


def assign_segments(features: pd.DataFrame, version: SegmentVersion | None) -> pd.DataFrame:
    """Every customer in the segment of their nearest centroid: customer_id, segment_name,
    segment_description and the distance to that centroid (in the version's standard-deviation units). No
    rows without a version, or when a feature the version clusters on has no values now."""
    if version is None or not set(version.columns) <= set(usable_features(features, version.spec)):
        return empty_frame(SEGMENT_COLUMNS)
    features = features.sort_values("customer_id", ignore_index=True)
    matrix, centroids = version.matrix(features), np.array(version.centroids)
    labels = np.column_stack([((matrix - centroid) ** 2).sum(axis=1) for centroid in centroids]).argmin(axis=1)
    return pd.DataFrame(
        {
            "customer_id": features["customer_id"],
            "segment_name": np.array(version.names)[labels],
            "segment_description": np.array(version.descriptions)[labels],
            "distance_to_centroid": np.linalg.norm(matrix - centroids[labels], axis=1),
        }
    ).astype(SEGMENT_COLUMNS)


def _check_segmentable(features: pd.DataFrame, spec: SegmentFeatures, k_max: int, settings: KMeansSettings) -> None:
    needed = settings.min_buyers_per_segment * k_max
    if len(features) < needed:
        raise Unfittable(
            f"{len(features)} buyers are too few to choose among up to {k_max} segments",
            f"at least {needed} buyers ({settings.min_buyers_per_segment} per segment of segment_k_range's max)",
        )
    if len(usable_features(features, spec)) < 2:
        raise Unfittable("fewer than two segment features have values", "the CLV or churn model to be fitted")


def registered_model(
    features: pd.DataFrame,
    spec: SegmentFeatures,
    selection: pd.DataFrame,
    archetypes: pd.DataFrame,
    settings: KMeansSettings,
    decision: RetrainDecision,
) -> pd.DataFrame:
    """The segments' version row (REGISTRY_COLUMNS): `fit_version` with the selected k; none when no k could be
    selected."""
    if not selection["is_selected"].any():
        return empty_frame(REGISTRY_COLUMNS)
    best = selection[selection["is_selected"]].iloc[0]
    version = fit_version(features, spec, int(best["k"]), archetypes, settings)
    return decision.registered(
        MODEL,
        features,
        f"K-means, k = {best['k']} on {len(features)} buyers, clustered on {', '.join(version.columns)}",
        version.to_artifact(),
    )


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
