"""Reads' material for the simulator: quality profiles learnt from a real run, and the
reference haplotypes with the taxon the database lets the truth name for each.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from riverfish.errors import InputError, ToolError
from riverfish.simmodel import (
    Haplotype,
    QualityProfile,
)
from riverfish.tools import run_tool

# --------------------------------------------------------------------------------------
# Quality profiles
# --------------------------------------------------------------------------------------


def learn_quality_profile(
    r1: str | os.PathLike, r2: str | os.PathLike | None = None, length: int = 150
) -> QualityProfile:
    """Quality strings of a real run's read pairs, cut to ``length``.

    Reads shorter than ``length`` are left out. ``r2`` defaults to ``r1`` with ``_R1``
    replaced by ``_R2`` when that file exists, else R1's qualities serve both mates.
    Simulated reads draw whole pairs of quality strings, which keeps the per-position
    distribution of each mate and the correlation along a read and between mates.
    """
    import dnaio

    r1 = Path(r1)
    if r2 is None:
        guess = Path(str(r1).replace("_R1", "_R2"))
        r2 = guess if guess != r1 and guess.is_file() else None
    rows1: list[bytes] = []
    rows2: list[bytes] = []
    try:
        if r2 is not None:
            with dnaio.open(r1, file2=r2) as reader:
                for a, b in reader:
                    if len(a.qualities) >= length and len(b.qualities) >= length:
                        rows1.append(a.qualities[:length].encode("ascii"))
                        rows2.append(b.qualities[:length].encode("ascii"))
        else:
            with dnaio.open(r1) as reader:
                for a in reader:
                    if len(a.qualities) >= length:
                        rows1.append(a.qualities[:length].encode("ascii"))
            rows2 = rows1
    except (OSError, EOFError, dnaio.FileFormatError) as exc:
        raise InputError(f"cannot read the quality profile FASTQ ({exc})", path=r1) from None
    if len(rows1) < 100:
        raise InputError(
            f"only {len(rows1)} reads of at least {length} bases in the quality profile",
            path=r1,
            hint="give a FASTQ of a run with reads as long as --read-length",
        )
    q1 = np.frombuffer(b"".join(rows1), dtype=np.uint8).reshape(-1, length) - 33
    q2 = np.frombuffer(b"".join(rows2), dtype=np.uint8).reshape(-1, length) - 33
    return QualityProfile(q1.copy(), q2.copy(), source=str(r1))


def synthetic_quality_profile(length: int = 150, pairs: int = 2000) -> QualityProfile:
    """A MiSeq-like profile without data: Q37 falling to ~Q30 towards the 3' end (R2
    lower), each read with its own offset. Always the same values."""
    rng = np.random.default_rng(20150701)
    pos = np.arange(length) / max(length - 1, 1)
    profiles = []
    for drop in (7.0, 11.0):
        offset = rng.normal(0.0, 2.0, size=(pairs, 1))
        noise = rng.normal(0.0, 1.5, size=(pairs, length))
        q = 37.5 - drop * pos**2 + offset + noise
        profiles.append(np.clip(np.rint(q), 2, 41).astype(np.uint8))
    return QualityProfile(profiles[0], profiles[1], source="synthetic")


def _error_thresholds() -> np.ndarray:
    """Per Phred score, the error probability as float32 (for comparing with uniforms)."""
    q = np.arange(256, dtype=np.float64)
    return (10.0 ** (-q / 10.0)).astype(np.float32)


_ERROR_P = _error_thresholds()


# --------------------------------------------------------------------------------------
# Reference haplotypes and the truth taxon of each
# --------------------------------------------------------------------------------------


def _find_vsearch(vsearch: str | None) -> str:
    found = vsearch or shutil.which("vsearch")
    if not found:
        beside = Path(sys.executable).parent / "vsearch"
        found = str(beside) if beside.is_file() else None
    if not found:
        raise ToolError("vsearch is not on PATH; it is needed to place the haplotypes")
    return found


def load_reference(
    fasta: str | os.PathLike,
    lineage: str | os.PathLike,
    family_table: str | os.PathLike | None = None,
):
    """The records of the reference database as the workflow builds it."""
    from riverfish import refdb

    curated = Path(__file__).resolve().parents[2] / "reference_db"
    return refdb.build_database(
        fasta,
        lineage,
        family_table_path=family_table,
        name_fixes_path=curated / "name_fixes.tsv",
        family_orders_path=curated / "family_orders.tsv",
    ).records


def choose_haplotypes(
    records: Sequence, species: Iterable[str], min_length: int = 130, max_length: int = 220
) -> dict[str, object]:
    """One reference record per species: its most frequent A/C/G/T sequence within the
    length window (ties: the smallest ref_id). Species without one are left out."""
    wanted = set(species)
    seqs: dict[str, Counter] = defaultdict(Counter)
    first: dict[tuple[str, str], object] = {}
    for rec in records:
        sp = rec.species
        if sp not in wanted:
            continue
        seq = rec.sequence.upper()
        if set(seq) - set("ACGT") or not min_length <= len(seq) <= max_length:
            continue
        seqs[sp][seq] += 1
        key = (sp, seq)
        if key not in first or rec.ref_id < first[key].ref_id:
            first[key] = rec
    chosen = {}
    for sp, counter in seqs.items():
        best = max(counter.values())
        candidates = [first[(sp, s)] for s, n in counter.items() if n == best]
        chosen[sp] = min(candidates, key=lambda r: r.ref_id)
    return chosen


def _vsearch_pairs(
    vsearch: str,
    queries: Mapping[str, str],
    targets: Mapping[str, str],
    min_identity: float,
    tmp: Path,
) -> list[tuple[str, str, float]]:
    """(query, target, identity %) of every hit >= min_identity (%), both strands."""
    qfa, dfa, out = tmp / "q.fasta", tmp / "db.fasta", tmp / "hits.tsv"
    qfa.write_text("".join(f">{k}\n{v}\n" for k, v in queries.items()))
    dfa.write_text("".join(f">{k}\n{v}\n" for k, v in targets.items()))
    cmd = [
        vsearch,
        "--usearch_global",
        str(qfa),
        "--db",
        str(dfa),
        "--id",
        f"{min_identity / 100:.4f}",
        "--maxaccepts",
        "0",
        # targets are tried by decreasing k-mer similarity: every hit this close comes
        # long before 256 rejected ones
        "--maxrejects",
        "256",
        "--strand",
        "both",
        "--userfields",
        "query+target+id",
        "--userout",
        str(out),
        "--threads",
        "1",
        "--quiet",
    ]
    run_tool(cmd, "vsearch --usearch_global")
    hits = []
    for line in out.read_text().splitlines():
        q, t, ident = line.split("\t")
        hits.append((q, t, float(ident)))
    return hits


def place_haplotypes(
    chosen: Mapping[str, object],
    records: Sequence,
    margin: float = 0.5,
    vsearch: str | None = None,
) -> tuple[dict[str, Haplotype], dict[str, str]]:
    """The taxon the workflow can name for each chosen haplotype.

    The haplotype is searched against every reference record; the hits within ``margin``
    percentage points of the best are the near-best. All of one species: that species;
    all of one genus: ``Genus_sp``. Returns (placed haplotypes, species -> reason for
    those that cannot be placed within a genus).
    """
    vsearch = _find_vsearch(vsearch)
    by_id = {rec.ref_id: rec for rec in records}
    queries = {sp: rec.sequence.upper() for sp, rec in chosen.items()}
    if not queries:
        return {}, {}
    floor = max(50.0, 100.0 - margin - 1.0)
    with tempfile.TemporaryDirectory(prefix="riverfish-sim.") as tmp:
        targets = {rec.ref_id: rec.sequence for rec in records}
        hits = _vsearch_pairs(vsearch, queries, targets, floor, Path(tmp))
    per_query: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for q, t, ident in hits:
        per_query[q].append((t, ident))
    placed: dict[str, Haplotype] = {}
    rejected: dict[str, str] = {}
    for sp, rec in chosen.items():
        found = per_query.get(sp, [])
        if not found:
            rejected[sp] = "no hit in the reference database"
            continue
        best = max(i for _, i in found)
        near = [by_id[t] for t, i in found if i >= best - margin - 1e-9]
        species = {r.species for r in near}
        genera = {r.genus for r in near}
        if len(species) == 1 and None not in species and best >= 98.5:
            taxon, rank = rec.species, "species"
        elif len(genera) == 1 and "" not in genera and None not in genera:
            taxon, rank = f"{rec.genus}_sp", "genus"
        else:
            names = sorted({r.label for r in near})
            rejected[sp] = f"the closest references name no single genus ({', '.join(names[:5])})"
            continue
        placed[sp] = Haplotype(
            species=sp,
            ref_id=rec.ref_id,
            sequence=rec.sequence.upper(),
            taxon=taxon,
            rank=rank,
            genus=rec.genus,
            family=rec.family,
            order=rec.order,
        )
    return placed, rejected


def aligned_pairs(
    haplotypes: Mapping[str, Haplotype], species: Iterable[str], vsearch: str | None = None
) -> dict[tuple[str, str], tuple[str, str]]:
    """Global alignments of every pair of the species' haplotypes: (a, b) -> the rows of a
    and b with gaps, of equal length. PCR chimeras join two parents at a homologous
    position, so breakpoints are chosen on these rows."""
    names = sorted(set(species))
    if len(names) < 2:
        return {}
    vsearch = _find_vsearch(vsearch)
    with tempfile.TemporaryDirectory(prefix="riverfish-sim.") as tmp:
        fa, out = Path(tmp) / "haps.fasta", Path(tmp) / "aln.tsv"
        fa.write_text("".join(f">{n}\n{haplotypes[n].sequence}\n" for n in names))
        cmd = [
            vsearch,
            "--allpairs_global",
            str(fa),
            "--acceptall",
            "--userfields",
            "query+target+qrow+trow",
            "--userout",
            str(out),
            "--threads",
            "1",
            "--quiet",
        ]
        run_tool(cmd, "vsearch --allpairs_global")
        rows: dict[tuple[str, str], tuple[str, str]] = {}
        for line in out.read_text().splitlines():
            q, t, qrow, trow = line.split("\t")
            rows[(q, t)] = (qrow, trow)
            rows[(t, q)] = (trow, qrow)
    return rows


def chimera(a: str, b: str, cut: float, rows: tuple[str, str] | None = None) -> str:
    """The start of ``a`` joined to the rest of ``b`` at ``cut`` (0-1) of their alignment
    (``rows``, see :func:`aligned_pairs`); without an alignment at ``cut`` of each length."""
    if rows is None:
        return a[: round(cut * len(a))] + b[round(cut * len(b)) :]
    ra, rb = rows
    c = round(cut * len(ra))
    return (ra[:c] + rb[c:]).replace("-", "")


def close_pairs(
    haplotypes: Mapping[str, Haplotype], min_identity: float = 97.0, vsearch: str | None = None
) -> list[tuple[str, str, float]]:
    """Pairs of haplotypes (different sequences or different taxa) at >= min_identity %.

    Denoising may merge such a pair when one is much rarer than the other, and reads map
    to the nearest ASV at 97 %, so they are kept apart in generated designs.
    """
    vsearch = _find_vsearch(vsearch)
    seqs = {sp: h.sequence for sp, h in haplotypes.items()}
    if len(seqs) < 2:
        return []
    with tempfile.TemporaryDirectory(prefix="riverfish-sim.") as tmp:
        hits = _vsearch_pairs(vsearch, seqs, seqs, min_identity, Path(tmp))
    pairs = set()
    for q, t, ident in hits:
        if q == t:
            continue
        same = haplotypes[q].sequence == haplotypes[t].sequence
        if same and haplotypes[q].taxon == haplotypes[t].taxon:
            continue
        a, b = sorted((q, t))
        pairs.add((a, b, ident))
    return sorted(pairs)


def species_pool(
    haplotypes: Mapping[str, Haplotype],
    order: Sequence[str],
    min_identity: float = 97.0,
    vsearch: str | None = None,
) -> list[str]:
    """Species of ``order`` (that have a placed haplotype) kept when each differs from every
    species kept before it by more than ``100 - min_identity`` % and names another taxon."""
    candidates = [sp for sp in order if sp in haplotypes]
    conflicts: dict[str, set[str]] = defaultdict(set)
    for a, b, _ in close_pairs({sp: haplotypes[sp] for sp in candidates}, min_identity, vsearch):
        conflicts[a].add(b)
        conflicts[b].add(a)
    kept: list[str] = []
    taxa: set[str] = set()
    for sp in candidates:
        h = haplotypes[sp]
        if conflicts[sp] & set(kept) or h.taxon in taxa:
            continue
        kept.append(sp)
        taxa.add(h.taxon)
    return kept
