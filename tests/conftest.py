"""Shared fixtures: paths, the shared data, and running the workflow into a temp folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DEV = SHARED / "dev-campaigns"
REFERENCE = SHARED / "reference"
PMIFISH = SHARED / "runs" / "pmifish-sample"
DRR = SHARED / "runs" / "drr126155"
HARD = SHARED / "dev-hard"

needs_shared = pytest.mark.skipif(
    not DEV.is_dir(), reason=f"the shared data set is not beside the project ({SHARED})"
)
needs_vsearch = pytest.mark.skipif(shutil.which("vsearch") is None, reason="vsearch not on PATH")


def snakemake_cmd() -> list[str]:
    """The Snakemake of the environment running the tests."""
    return [sys.executable, "-m", "snakemake"]


def write_sheet(path: Path, rows: list[dict]) -> Path:
    """Write a campaign sheet (TSV) from dicts; the columns are the first row's keys."""
    cols = list(rows[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(cols)] + ["\t".join(str(r.get(c, "")) for c in cols) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def dev_sheets(dest: Path, keep=None, edit=None) -> dict[str, str]:
    """Campaign sheets of the simulated two-basin set, optionally only some samples
    (``keep(row)``) and with rows changed (``edit(row) -> row``)."""
    import csv

    with open(DEV / "samples.tsv") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    campaigns: dict[str, str] = {}
    for campaign in dict.fromkeys(r["campaign"] for r in rows):
        sel = [r for r in rows if r["campaign"] == campaign and (keep is None or keep(r))]
        if not sel:
            continue
        out = [
            {
                "sample": r["sample"],
                "basin": r["basin"],
                "site": r["site"],
                "site_role": "reference" if r["site"].endswith("-up") else "",
                "replicate": r["replicate"],
                "type": r["type"],
                "fq1": str(DEV / r["fq1"]),
                "fq2": str(DEV / r["fq2"]),
            }
            for r in sel
        ]
        if edit is not None:
            out = [edit(dict(r)) for r in out]
        campaigns[campaign] = str(write_sheet(dest / f"{campaign}.tsv", out))
    return campaigns


def run_workflow(
    workdir: Path,
    config: dict,
    *targets: str,
    extra: list[str] | None = None,
    check: bool = True,
    cores: int = 2,
) -> subprocess.CompletedProcess:
    """Run the workflow with ``config`` (written to workdir/config.yaml) in ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = workdir / "config.yaml"
    cfg.write_text(yaml.safe_dump(config, sort_keys=False))
    cmd = [
        *snakemake_cmd(),
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(cfg),
        "--cores",
        str(cores),
        "--rerun-incomplete",
        *(extra or []),
        *targets,
    ]
    env = dict(os.environ)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"workflow failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
        )
    return proc


def example_config(campaigns: dict[str, str]) -> dict:
    """The shipped config/config.yaml with other campaigns."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["campaigns"] = campaigns
    return config


@pytest.fixture(scope="session")
def dev_run(tmp_path_factory) -> Path:
    """The whole workflow on the simulated two-basin, two-campaign set (run once)."""
    if not DEV.is_dir():
        pytest.skip(f"the shared data set is not beside the project ({SHARED})")
    if shutil.which("vsearch") is None:
        pytest.skip("vsearch not on PATH")
    work = tmp_path_factory.mktemp("dev_run")
    # the shipped example configuration as it is (its sheets point at ../shared/data)
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    run_workflow(work, config)
    return work / "results"


def example_run(tmp_path_factory, name: str, data: Path, edit=None, *targets: str) -> Path:
    """The whole workflow with one of config/examples/*.yaml, into a temporary folder
    (``edit(config)`` may change the config first); returns its results folder."""
    if not data.is_dir():
        pytest.skip(f"the shared data set is not beside the project ({SHARED})")
    if shutil.which("vsearch") is None:
        pytest.skip("vsearch not on PATH")
    work = tmp_path_factory.mktemp(name.replace("-", "_"))
    config = yaml.safe_load((ROOT / "config" / "examples" / f"{name}.yaml").read_text())
    config["campaigns"] = {c: str(ROOT / p) for c, p in config["campaigns"].items()}
    config["output_dir"] = "results"
    if edit is not None:
        edit(config)
    run_workflow(work, config, *targets)
    return work / "results"


@pytest.fixture(scope="session")
def pmifish_run(tmp_path_factory) -> Path:
    """The whole workflow on the real PMiFish MiSeq run (config/examples/pmifish-run.yaml)."""
    return example_run(tmp_path_factory, "pmifish-run", PMIFISH)


@pytest.fixture(scope="session")
def drr_run(tmp_path_factory) -> Path:
    """The whole workflow on the real, poor-quality run DRR126155 with the shipped read
    settings (config/examples/drr126155.yaml)."""
    return example_run(tmp_path_factory, "drr126155", DRR)


@pytest.fixture(scope="session")
def hard_run(tmp_path_factory) -> Path:
    """The whole workflow on the simulated hard cases (config/examples/dev-hard.yaml)."""
    return example_run(tmp_path_factory, "dev-hard", HARD)
