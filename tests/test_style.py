"""The workflow passes Snakemake's linter and the formatters' checks."""

import subprocess
import sys
from pathlib import Path

from conftest import ROOT, snakemake_cmd

BIN = Path(sys.executable).parent


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)


def test_snakemake_lint_clean():
    proc = run([*snakemake_cmd(), "--lint", "--snakefile", str(ROOT / "Snakefile")])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Congratulations, your workflow is in a good condition!" in out


def test_snakefmt_clean():
    proc = run([str(BIN / "snakefmt"), "--check", "Snakefile", "workflow/rules"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_clean():
    proc = run([str(BIN / "ruff"), "format", "--check", "workflow", "tests", "notebooks"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run([str(BIN / "ruff"), "check", "workflow", "tests", "notebooks"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
