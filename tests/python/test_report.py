"""The static report renders in headless Chromium (Debian's package) with every chart laid out."""

from __future__ import annotations

import re
import shutil
import subprocess

from customer_scoring.cli import main
from customer_scoring.report import CHARTS

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_report_renders_every_chart_in_headless_chromium(published, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make test` installs it"
    out = tmp_path / "report.html"
    main(["report", "--warehouse", str(published), "--out", str(out)])
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", out.as_uri()]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    # The page's own script writes each chart's laid-out size once the browser has rendered it.
    rendered = dict(re.findall(r'<figure class="chart" id="([a-z-]+)" data-rendered="(\d+x\d+)"', dom))
    assert set(rendered) == set(CHARTS)
    for chart_id, size in rendered.items():
        width, height = map(int, size.split("x"))
        assert width > 200 and height > 150, chart_id
    assert "Churn ROC-AUC / PR-AUC (xgboost)" in dom and "<svg" in dom
