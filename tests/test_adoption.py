"""The workflow as others take it up: as a module of their own Snakefile, and with a config
that holds only the campaigns."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from conftest import ROOT, needs_shared, needs_vsearch, run_workflow, snakemake_cmd

pytestmark = [needs_shared, needs_vsearch]


def test_used_as_a_module_the_example_dry_runs(tmp_path):
    """A project of one's own: a Snakefile with `module ... snakefile:` pointing at this
    checkout, the campaigns in its own config; schemas, scripts, the library and the
    shipped reference settings resolve from the workflow's folder."""
    (tmp_path / "config").mkdir()
    sheet = ROOT / "config" / "campaigns" / "2025-spring.tsv"
    # the project's own sheet, its read paths absolute
    text = sheet.read_text().replace("../shared/", str(ROOT.parent / "shared") + "/")
    (tmp_path / "config" / "spring.tsv").write_text(text)
    (tmp_path / "config" / "config.yaml").write_text(
        "campaigns:\n  2025-spring: config/spring.tsv\n"
    )
    (tmp_path / "Snakefile").write_text(
        'configfile: "config/config.yaml"\n\n\n'
        "module riverfish:\n"
        f'    snakefile:\n        "{ROOT / "Snakefile"}"\n'
        "    config:\n        config\n\n\n"
        "use rule * from riverfish as riverfish_*\n"
    )
    proc = subprocess.run(
        [*snakemake_cmd(), "-n", "--cores", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "riverfish_campaign_reads" in out and "riverfish_tallies" in out
    assert not (tmp_path / "results").exists()


@pytest.mark.workflow
def test_a_config_of_only_the_campaigns_runs_the_example(tmp_path, dev_run):
    config = {
        "campaigns": {
            "2025-spring": "config/campaigns/2025-spring.tsv",
            "2025-autumn": "config/campaigns/2025-autumn.tsv",
        }
    }
    run_workflow(tmp_path, config, "results/tallies/basin_campaign.tsv")
    assert (tmp_path / "config.yaml").read_text().count("\n") == 3
    mine = pd.read_csv(tmp_path / "results" / "tallies" / "basin_campaign.tsv", sep="\t")
    example = pd.read_csv(dev_run / "tallies" / "basin_campaign.tsv", sep="\t")
    pd.testing.assert_frame_equal(mine, example)


# import name -> distribution name, where they differ
DISTRIBUTIONS = {
    "Bio": "biopython",
    "skbio": "scikit-bio",
    "yaml": "pyyaml",
    "fontTools": "fonttools",
    "matplotlib_fontja": "matplotlib-fontja",
}


def _library_imports() -> set[str]:
    """Top-level modules the library imports that are neither its own nor Python's."""
    import ast
    import sys

    found = set()
    for path in (ROOT / "workflow" / "riverfish").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "riverfish"}


def test_the_library_declares_what_it_imports_and_nothing_else():
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *sum(project["optional-dependencies"].values(), [])]
    declared = {re.split(r"[<>=!~ ]", d, maxsplit=1)[0].lower() for d in wanted}
    imported = {DISTRIBUTIONS.get(m, m).lower() for m in _library_imports()}
    # snakemake is the runner, imported only where a job needs its objects
    imported.discard("snakemake")
    assert imported - declared == set(), "imported but not declared in pyproject.toml"
    assert declared - imported == set(), "declared in pyproject.toml but never imported"
    pinned = (ROOT / "requirements.txt").read_text(encoding="utf-8").lower()
    for dist in declared:
        assert re.search(rf"^{re.escape(dist)}==", pinned, re.M), f"{dist} not pinned"
