"""Print where the warehouse is and which marts it holds, with row counts (the end of `make build`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb


def mart_names(manifest_path: Path = Path("target/manifest.json")) -> list[str]:
    """Models under models/marts, from the manifest dbt just wrote."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return sorted(n["name"] for n in nodes if n["resource_type"] == "model" and n["path"].startswith("marts/"))


def main() -> None:
    warehouse = Path(os.environ.get("CUSTOMER_SCORING_WAREHOUSE", "data/warehouse.duckdb"))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (as_of,) = con.execute("select as_of_date from int_as_of_date").fetchone()
        print(f"\nWarehouse: {warehouse.resolve()}  (as of {as_of})")
        for name in mart_names():
            (rows,) = con.execute(f'select count(*) from "{name}"').fetchone()
            print(f"  {name:<32} {rows:>12,} rows")


if __name__ == "__main__":
    main()
