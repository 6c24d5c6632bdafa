"""Searching ASVs against the reference database, once per distinct ASV.

vsearch examines the references in order of shared k-mers and stops after
:data:`MAX_REJECTS` references below the identity floor: the near-best hits that decide
the assignment share far more k-mers than any reference below the floor, so they are all
found, in a sixth of the time of an exhaustive search (measured on the example: the
near-best hits of every ASV are the same). ``n_hits`` therefore counts the hits found
before the search stopped, not every reference above the floor.

The hits of every ASV ever searched are kept in a cache keyed by the database checksum,
the identity floor and the search settings. A new campaign brings new ASVs; only those
are searched with vsearch, the others' hits come from the cache. The assignment (LCA,
thresholds) is recomputed from the hits on every run, so changing a threshold never needs
a new search.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from riverfish.asvs import write_fasta
from riverfish.classify import VSEARCH_USERFIELDS, read_hits
from riverfish.errors import ToolError
from riverfish.tools import find_tool

HIT_COLUMNS = ["asv_id", "ref_id", "identity", "alnlen", "mism", "opens"]
#: vsearch --maxrejects: references below the floor examined before the search stops.
MAX_REJECTS = 256


def cache_dir(root: str | os.PathLike, db_checksum: str, floor: float) -> Path:
    """The cache folder of one database version, identity floor and search setting."""
    return Path(root) / f"{db_checksum}-floor{floor:g}-maxrejects{MAX_REJECTS}"


def load(cache: Path) -> tuple[pd.DataFrame, set[str]]:
    """(hits, ids of the ASVs searched) from a cache folder; empty when there is none."""
    hits_file, ids_file = cache / "hits.tsv", cache / "searched.txt"
    if not ids_file.exists():
        return pd.DataFrame(columns=HIT_COLUMNS), set()
    searched = set(ids_file.read_text().split())
    hits = pd.read_csv(hits_file, sep="\t", dtype={"asv_id": str, "ref_id": str})
    return hits, searched


def save(cache: Path, hits: pd.DataFrame, searched: set[str]) -> None:
    """Write the cache: hits first, then the list of searched ASVs (each atomically).

    A cache cut short between the two files lists fewer ASVs than it has hits for, which
    is harmless: those ASVs are searched again and their hits replaced.
    """
    cache.mkdir(parents=True, exist_ok=True)
    hits = hits.sort_values(["asv_id", "identity", "ref_id"], ascending=[True, False, True])
    tmp = cache / ".hits.tsv.tmp"
    hits.to_csv(tmp, sep="\t", index=False, lineterminator="\n")
    os.replace(tmp, cache / "hits.tsv")
    tmp = cache / ".searched.txt.tmp"
    tmp.write_text("".join(f"{a}\n" for a in sorted(searched)))
    os.replace(tmp, cache / "searched.txt")


def search(
    asvs: Sequence[tuple[str, str]],
    db_fasta: str | os.PathLike,
    floor: float,
    log,
    threads: int = 1,
) -> pd.DataFrame:
    """vsearch global alignment of ASVs against the database: every hit >= floor (%)."""
    if not asvs:
        return pd.DataFrame(columns=HIT_COLUMNS)
    vsearch = find_tool("vsearch")
    with tempfile.TemporaryDirectory(prefix=".search.") as tmp:
        query = Path(tmp) / "query.fasta"
        out = Path(tmp) / "hits.tsv"
        write_fasta(asvs, query)
        cmd = [
            vsearch,
            "--usearch_global",
            str(query),
            "--db",
            str(db_fasta),
            "--id",
            f"{floor / 100:.4f}",
            "--maxaccepts",
            "0",
            "--maxrejects",
            str(MAX_REJECTS),
            "--strand",
            "both",
            "--userfields",
            VSEARCH_USERFIELDS,
            "--userout",
            str(out),
            "--threads",
            str(threads),
            "--no_progress",
        ]
        log.write("$ " + " ".join(cmd) + "\n")
        log.flush()
        proc = subprocess.run(cmd, stdout=log, stderr=log, check=False)
        if proc.returncode != 0:
            raise ToolError(f"vsearch --usearch_global failed (exit status {proc.returncode})")
        hits = read_hits(out)
    unknown = set(hits["asv_id"]) - {a for a, _ in asvs}
    if unknown:
        raise ToolError(f"vsearch returned hits for unknown queries: {sorted(unknown)[:5]}")
    return hits[HIT_COLUMNS]


def hits_for(
    asvs: Sequence[tuple[str, str]],
    db_fasta: str | os.PathLike,
    cache: Path,
    floor: float,
    log,
    threads: int = 1,
) -> pd.DataFrame:
    """Hits of the given ASVs, searching only those the cache has not seen."""
    cached, searched = load(cache)
    todo = [(a, s) for a, s in asvs if a not in searched]
    log.write(f"{len(asvs) - len(todo)} ASV(s) from the cache, {len(todo)} searched\n")
    if todo:
        new = search(todo, db_fasta, floor, log, threads)
        ids = {a for a, _ in todo}
        kept = cached[~cached["asv_id"].isin(ids)]
        cached = pd.concat([kept, new], ignore_index=True) if len(kept) else new
        searched |= ids
        save(cache, cached, searched)
    wanted = {a for a, _ in asvs}
    hits = cached[cached["asv_id"].isin(wanted)]
    # vsearch reports hits in thread order: sort so that the table is the same every run
    hits = hits.sort_values(["asv_id", "identity", "ref_id"], ascending=[True, False, True])
    return hits.reset_index(drop=True)
