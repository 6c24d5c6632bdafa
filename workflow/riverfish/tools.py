"""External tools: where they are and whether their version is one the workflow knows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from riverfish.errors import ToolError

# The oldest versions the workflow is tested with (UNOISE3, uchime3 and --relabel_sha1
# need vsearch >= 2.22; linked adapters with ;required and --revcomp need cutadapt >= 4).
MIN_VERSIONS = {"vsearch": (2, 22, 0), "cutadapt": (4, 0)}
_VERSION_RE = {
    "vsearch": re.compile(r"vsearch v(\d+)\.(\d+)\.(\d+)"),
    "cutadapt": re.compile(r"^(\d+)\.(\d+)"),
}


def find_tool(name: str) -> str:
    """Path of a command-line tool: on PATH, or installed beside this Python (a venv's bin)."""
    found = shutil.which(name)
    if found is None:
        beside = Path(sys.executable).parent / name
        if beside.is_file() and os.access(beside, os.X_OK):
            found = str(beside)
    if found is None:
        raise ToolError(
            f"{name} is not installed: not on PATH ({os.environ.get('PATH', '')}) nor beside "
            f"{sys.executable}. Needed: {name} >= {_dotted(MIN_VERSIONS[name])}. Install it "
            "(./run install does, or: apt-get install vsearch / pip install cutadapt / "
            "conda with --sdm conda) and run again"
        )
    return found


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def tool_version(name: str) -> tuple[str, tuple[int, ...]]:
    """(path, version) of a tool, checked against :data:`MIN_VERSIONS`."""
    path = find_tool(name)
    installed = _package_version(name, path)
    if installed is not None:
        return path, _recent_enough(name, path, installed)
    flag = "--version"
    try:
        proc = subprocess.run([path, flag], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolError(f"{name} at {path} could not be run ({exc})") from None
    text = proc.stdout + proc.stderr
    match = _VERSION_RE[name].search(text.strip())
    if not match:
        raise ToolError(
            f"{name} at {path} did not report a version ('{flag}' printed {text[:200]!r}); "
            f"needed: {name} >= {_dotted(MIN_VERSIONS[name])}"
        )
    return path, _recent_enough(name, path, tuple(int(x) for x in match.groups()))


def _package_version(name: str, path: str) -> tuple[int, ...] | None:
    """The version of a tool installed with this Python (a package of that name, its
    command beside the interpreter), from the package metadata: no need to start it
    (a quarter of a second for cutadapt at every start of the workflow). None otherwise."""
    if Path(path).parent != Path(sys.executable).parent:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        numbers = re.findall(r"\d+", version(name))
    except PackageNotFoundError:
        return None
    wanted = len(MIN_VERSIONS[name])
    return tuple(int(x) for x in numbers[:wanted]) if len(numbers) >= wanted else None


def run_tool(cmd: list[str], what: str) -> None:
    """Run a tool quietly; on failure raise ToolError with its exit status and messages."""
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolError(
            f"{what} failed (exit status {proc.returncode}): {proc.stderr.strip()[-2000:]}"
        )


def _recent_enough(name: str, path: str, version: tuple[int, ...]) -> tuple[int, ...]:
    if version < MIN_VERSIONS[name]:
        raise ToolError(
            f"{name} {_dotted(version)} found at {path}, but {name} >= "
            f"{_dotted(MIN_VERSIONS[name])} is needed; install a newer one (see README)"
        )
    return version
