"""The review notebooks are stored without outputs, so their diffs stay readable."""

import json
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXECUTION_METADATA = {"execution", "papermill", "collapsed", "scrolled", "ExecuteTime"}


def test_the_review_notebooks_are_there():
    names = {p.name for p in NOTEBOOKS}
    assert {"species_tables.ipynb", "recovery_trends.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_stripped(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))
    assert "papermill" not in raw["metadata"]
    assert "widgets" not in raw["metadata"]
    for i, cell in enumerate(raw["cells"]):
        where = f"{path.name} cell {i} ({cell.get('id')})"
        assert not EXECUTION_METADATA & set(cell.get("metadata", {})), where
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{where} has outputs"
            assert cell["execution_count"] is None, f"{where} has an execution count"
        assert "attachments" not in cell or not cell["attachments"], where


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_has_one_parameters_cell_first(path):
    nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert code[0] is tagged[0], "the parameters cell is the first code cell"
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_nbstripout_would_change_nothing():
    """What ``nbstripout`` (e.g. as a git filter) would store is what is stored."""
    proc = subprocess.run(
        [sys.executable, "-m", "nbstripout", "--verify", *map(str, NOTEBOOKS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
