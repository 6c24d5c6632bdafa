"""The environment the workflow's jobs run in."""

from __future__ import annotations

import os
import sys
import traceback
from contextlib import contextmanager
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


@contextmanager
def job_log(path: str | os.PathLike, context: str = ""):
    """A job's log: standard error goes to it while the job runs, and an error ends in
    the log and on the console with its message (the library's own message for an input
    problem, the traceback for anything else), then the job exits with status 1.

    Without this an error raised after a ``with open(log)`` block closed the log reached
    nobody ("lost sys.stderr"). ``context`` (e.g. "campaign 'spring'") starts the message.
    """
    from riverfish.errors import RiverfishError

    console = sys.stderr
    with open(path, "w", encoding="utf-8") as log:
        sys.stderr = log
        try:
            yield log
        except RiverfishError as exc:
            message = f"error: {context + ': ' if context else ''}{exc}"
        except Exception:
            message = f"error: {context + ': ' if context else ''}{traceback.format_exc()}"
        else:
            message = None
        finally:
            sys.stderr = console
        if message is not None:
            log.write(message.rstrip("\n") + "\n")
            log.flush()
    if message is not None:
        print(message.rstrip("\n"), file=console, flush=True)
        raise SystemExit(1)
