"""Data flows one way through the layers dbt_project.yml lists, in its order: no model reads a later layer."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]


def layer_order() -> dict[str, int]:
    """Layer name -> position, from the folder configs of dbt_project.yml (the one place they are listed);
    seeds come first (anyone may read them) and snapshots and analyses after every layer."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    folders = [key for key in project["models"]["customer_scoring"] if not key.startswith("+")]  # not configs
    layers = ["seeds", *folders, "snapshots", "analyses"]
    return {name: position for position, name in enumerate(layers)}


def layer_of(node: dict) -> str:
    """models/<layer>/... and python_models/<layer>/... are in <layer>; seeds/, snapshots/, analyses/ likewise."""
    parts = Path(node["original_file_path"]).parts
    return parts[1] if parts[0] in ("models", "python_models") else parts[0]


def layer_violations(manifest: dict) -> list[str]:
    order = layer_order()
    nodes = {**manifest["nodes"], **manifest["sources"]}
    found = []
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "snapshot", "analysis"):
            continue
        for parent_id in node["depends_on"]["nodes"]:
            parent = nodes[parent_id]
            if parent["resource_type"] == "source":
                continue
            if order[layer_of(parent)] > order[layer_of(node)]:
                found.append(f"{node['name']} ({layer_of(node)}) reads {parent['name']} ({layer_of(parent)})")
    return found


def test_no_model_reads_a_later_layer(warehouse):
    manifest = json.loads((warehouse.parent / "target" / "manifest.json").read_text())
    assert layer_violations(manifest) == []
    every_layer = {layer_of(node) for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    assert every_layer == set(layer_order()) - {"seeds", "snapshots", "analyses"}


def test_a_mart_that_reads_a_fitted_model_is_caught(warehouse):
    manifest = json.loads((warehouse.parent / "target" / "manifest.json").read_text())
    wrong = copy.deepcopy(manifest)
    rfm = next(node for node in wrong["nodes"].values() if node["name"] == "customer_rfm")
    rfm["depends_on"]["nodes"].append("model.customer_scoring.fit_clv_scores")
    assert layer_violations(wrong) == ["customer_rfm (marts) reads fit_clv_scores (fitting)"]
