"""The run-quality warnings where a person looks: the start page of the HTML report, opened
in headless Chromium, and the Run quality page."""

import re
import subprocess
from pathlib import Path

import pytest
from browser import chromium, needs_chromium

from conftest import ROOT, snakemake_cmd

ARTEFACTS = ROOT / "tests" / "artefacts"

MESSAGE = (
    "drr126155: 84.8 % of pairs merged whole (expected ≥ 90 %) in 1 of 1 field samples; "
    "9.8 % more merged after their 3' ends were cut"
)


@pytest.fixture(scope="module")
def drr_report(drr_run) -> Path:
    work = drr_run.parent
    report = work / "report.html"
    cmd = [*snakemake_cmd(), "--snakefile", str(ROOT / "Snakefile"), "--directory", str(work)]
    cmd += ["--configfile", str(work / "config.yaml"), "--report", str(report)]
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    return report


@needs_chromium
def test_report_start_page_states_the_run_warnings(drr_report):
    dom = chromium("--virtual-time-budget=10000", "--dump-dom", drr_report.as_uri()).stdout
    # rendered on the start page (the report's data is embedded escaped, so this text is
    # only in the DOM once the page has been drawn)
    dom = re.sub(r"<style>.*?</style>", "", dom, flags=re.S)  # the embedded glyphs
    start = dom.index('<h1 class="title">Fish eDNA monitoring of river basins')
    page = dom[start : start + 20000]
    assert "<p><strong>Run quality</strong></p>" in page
    assert f"<li>{MESSAGE}. Likely cause: low base quality" in page
    ARTEFACTS.mkdir(exist_ok=True)
    shot = ARTEFACTS / "report_start_drr126155.png"
    chromium(
        "--window-size=1300,1000",
        "--virtual-time-budget=10000",
        f"--screenshot={shot}",
        drr_report.as_uri(),
    )
    assert shot.stat().st_size > 10_000


@needs_chromium
def test_run_quality_page_in_a_browser(drr_run):
    page = drr_run / "qc" / "run_quality.html"
    dom = chromium("--dump-dom", page.as_uri()).stdout
    assert f"<li><b>{MESSAGE}</b>. Likely cause:" in dom.replace("&#x27;", "'").replace("'", "'")
    assert '<td class="low">84.8 %</td>' in dom
    ARTEFACTS.mkdir(exist_ok=True)
    chromium(
        "--window-size=1300,700",
        f"--screenshot={ARTEFACTS / 'run_quality_drr126155.png'}",
        page.as_uri(),
    )
