"""The environment the workflow's jobs run in."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def prepare(lib_dir: str | os.PathLike) -> None:
    """Make the library and the tools beside the running Python reachable by every job.

    Jobs (shell commands and scripts, local or on a cluster node, where Snakemake parses
    the workflow again) import ``riverfish`` from ``lib_dir`` whichever Python runs them,
    and find the tools installed beside the Snakemake that runs the workflow (the
    project's ``.venv/bin``: python, cutadapt) before others on PATH. A conda environment
    (``--sdm conda``) is activated inside the job and still takes precedence.
    """
    lib = str(Path(lib_dir).resolve())
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if lib not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([lib, *paths])
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in path:
        os.environ["PATH"] = os.pathsep.join([bindir, *path])
