"""Writing result files so that a failure never leaves one that looks complete (standard
library only: the light jobs at the end of the workflow use it without pandas)."""

from __future__ import annotations

import os
from pathlib import Path


def temporary_sibling(path: str | os.PathLike) -> tuple[Path, Path]:
    """The target path (its folder created) and a temporary file name in the same folder.

    The temporary name keeps the suffix (writers that choose the format by it still work)
    and is hidden; the file is not created, so it gets the usual permissions when written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")


def write_text(text: str, path: str | os.PathLike) -> None:
    """Write a UTF-8 text file: to a temporary sibling, then renamed over the target."""
    path, tmp = temporary_sibling(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
