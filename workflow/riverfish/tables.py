"""Writing and reading the workflow's tables (UTF-8, tab-separated, header row)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from riverfish.errors import ToolError

TRACKING_COLUMNS = [
    "sample",
    "campaign",
    "raw_pairs",
    "merged",
    "primer_trimmed",
    "length_ok",
    "quality_ok",
    "in_asvs",
]


def write_tsv(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a table atomically: a failed write never leaves a complete-looking file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_csv(tmp, sep="\t", index=False, lineterminator="\n", na_rep="")
    os.replace(tmp, path)


def read_tsv(path: str | os.PathLike, **kwargs) -> pd.DataFrame:
    """Read one of the workflow's tables (text columns stay text, empty cells stay empty)."""
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=[""], **kwargs)


def read_tracking(
    campaign: str,
    samples: Sequence[str],
    stats: Mapping[str, Mapping[str, int]],
    in_asvs: Mapping[str, int],
) -> pd.DataFrame:
    """The read-tracking table of one campaign from its samples' read counts per step.

    ``stats`` maps each sample to its counts (raw_pairs ... quality_ok, and
    merged_after_truncation). Checks that every sample has them and that no step has more
    reads than the one before it; ``in_asvs`` counts the reads of the length window that
    match an ASV, those over the error limit included, so it is at most ``length_ok``.
    """
    rows = []
    missing = [s for s in samples if s not in stats]
    if missing:
        raise ToolError(f"campaign {campaign!r}: no read counts for samples {missing}")
    for sample in samples:
        row = {"sample": sample, "campaign": campaign}
        row.update({c: int(stats[sample][c]) for c in TRACKING_COLUMNS[2:-1]})
        row["in_asvs"] = int(in_asvs.get(sample, 0))
        row["merged_after_truncation"] = int(stats[sample].get("merged_after_truncation", 0))
        steps = [row[c] for c in TRACKING_COLUMNS[2:-1]]
        if any(b > a for a, b in zip(steps, steps[1:], strict=False)) or (
            row["in_asvs"] > row["length_ok"] or row["merged_after_truncation"] > row["merged"]
        ):
            raise ToolError(
                f"read tracking of sample {sample!r} is not decreasing: {steps}, "
                f"in_asvs {row['in_asvs']}, merged_after_truncation "
                f"{row['merged_after_truncation']}"
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=[*TRACKING_COLUMNS, "merged_after_truncation"])
