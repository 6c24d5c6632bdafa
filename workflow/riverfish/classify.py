"""Turn vsearch global-alignment hits into taxa: per-rank identity thresholds + LCA.

The workflow runs, once per set of distinct ASVs::

    vsearch --usearch_global asvs.fasta --db refs.fasta --id 0.80 \\
        --maxaccepts 0 --maxrejects 256 --strand both \\
        --userout hits.tsv --userfields query+target+id+alnlen+mism+opens --threads N

and :func:`assign_taxa` turns ``hits.tsv`` (read with :func:`read_hits`) and the taxonomy
table of the reference database (:func:`read_references`) into one row per ASV.

How an ASV is assigned: ``best`` is the highest identity among its hits; the *near-best*
hits are those with identity >= ``best - margin``. The rank is the lowest of species,
genus, family, order at which ``best`` reaches the rank's threshold **and** every near-best
hit names the same taxon. So an ASV whose sequence is identical in two species is called
at genus (``Tridentiger_sp``) with both species as candidates, never as one of them.

River haplotypes are often missing from the database: an ASV a few substitutions from its
species' records misses the strict species threshold although no other species is near.
:class:`NewHaplotypeRule` names such an ASV its species when (1) its best identity reaches
a relaxed threshold, (2) every near-best hit names that one species, (3) the next species
is clearly farther (a gap in points and a ratio of distances) and (4) the ASV is no
farther from its species' record than that record's nearest congener in the database is
(a sister species missing from the database would be about that far). The defaults come
from the MiFish database itself (``python -m riverfish.refstats``, see
``reference_db/README.md``). Each row says on what ``basis`` it was called.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from .errors import InputError, ToolError

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "NewHaplotypeRule",
    "DEFAULT_MARGIN",
    "DEFAULT_THRESHOLDS",
    "HIT_COLUMNS",
    "RANKS",
    "REFERENCE_COLUMNS",
    "VSEARCH_USERFIELDS",
    "assign_taxa",
    "new_haplotype_references",
    "read_hits",
    "read_references",
    "validate_thresholds",
]

#: ``--userfields`` the workflow passes to vsearch; :func:`read_hits` expects these columns.
VSEARCH_USERFIELDS = "query+target+id+alnlen+mism+opens"

#: Columns of the DataFrame returned by :func:`read_hits`.
HIT_COLUMNS = ("asv_id", "ref_id", "identity", "alnlen", "mism", "opens")

#: Ranks from the lowest to the highest.
RANKS = ("species", "genus", "family", "order")

#: Default minimum identity (percent) of the best hit for a call at each rank.
DEFAULT_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {"species": 98.5, "genus": 96.0, "family": 90.0, "order": 85.0}
)

#: Default width (percentage points) of the near-best window below the best hit.
DEFAULT_MARGIN = 0.5

#: Columns the taxonomy table of the reference database must have.
REFERENCE_COLUMNS = ("ref_id", "species", "genus", "family", "order")

#: Columns of the table returned by :func:`assign_taxa`.
ASSIGNMENT_COLUMNS = (
    "asv_id",
    "taxon",
    "rank",
    "species",
    "genus",
    "family",
    "order",
    "best_identity",
    "candidates",
    "common_name",
    "next_species_identity",
    "margin_to_next_species",
    "n_hits",
    "n_near_best",
    "basis",
)


@dataclass(frozen=True)
class NewHaplotypeRule:
    """When an ASV below the species threshold is still named its species (config
    ``classify.new_haplotypes``; see the module docstring)."""

    enabled: bool = True
    #: best identity (%) at least this: 84 % of the MiFish database's species keep every
    #: record within 2 % of a conspecific record
    min_identity: float = 98.0
    #: the next species at least this many points below the best
    min_gap: float = 1.0
    #: ... and at least this many times as far from the ASV as its own species
    distance_ratio: float = 2.0
    #: the ASV's distance from its species' record at most this share of that record's
    #: distance from its nearest congener
    max_congener_ratio: float = 1.0


# Identities are compared with this tolerance, so 98.5 reaches a 98.5 threshold even
# after floating-point arithmetic (best - margin).
_EPS = 1e-9
_SIZE_ANNOTATION = re.compile(r";size=\d+;?$")


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


def _hits_error(path: Path, line: int, what: str) -> ToolError:
    return ToolError(
        f"{path}, line {line}: {what}\n"
        f"  hint: the hits file must come from vsearch --usearch_global with "
        f"--userfields {VSEARCH_USERFIELDS} (6 tab-separated columns); "
        "a truncated file means vsearch was interrupted: delete it and rerun"
    )


def read_hits(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a vsearch ``--userout`` file written with :data:`VSEARCH_USERFIELDS`.

    Returns a DataFrame with columns :data:`HIT_COLUMNS`: ``asv_id`` and ``ref_id`` (str),
    ``identity`` (percent, float), ``alnlen``, ``mism``, ``opens`` (int). A ``;size=N``
    annotation on the query label is removed. An empty file is valid (no hits).

    Raises :class:`ToolError` naming the file and line on a line with the wrong number of
    fields or a non-numeric value, since that means vsearch was run differently than
    expected or its output was cut short.
    """
    path = Path(path)
    columns: dict[str, list] = {c: [] for c in HIT_COLUMNS}
    try:
        handle = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        raise ToolError(f"{path}: vsearch hits file not found") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != len(HIT_COLUMNS):
                raise _hits_error(
                    path,
                    number,
                    f"{len(fields)} tab-separated field(s), expected {len(HIT_COLUMNS)}",
                )
            query, target, ident, alnlen, mism, opens = fields
            try:
                identity = float(ident)
            except ValueError:
                raise _hits_error(path, number, f"identity {ident!r} is not a number") from None
            if not 0.0 <= identity <= 100.0 or math.isnan(identity):
                raise _hits_error(path, number, f"identity {ident!r} is not a percentage")
            try:
                counts = [int(alnlen), int(mism), int(opens)]
            except ValueError:
                raise _hits_error(
                    path,
                    number,
                    f"alnlen/mism/opens {alnlen!r}/{mism!r}/{opens!r} are not integers",
                ) from None
            if not query or not target:
                raise _hits_error(path, number, "empty query or target label")
            columns["asv_id"].append(_SIZE_ANNOTATION.sub("", query))
            columns["ref_id"].append(target)
            columns["identity"].append(identity)
            columns["alnlen"].append(counts[0])
            columns["mism"].append(counts[1])
            columns["opens"].append(counts[2])
    return pd.DataFrame(
        {
            "asv_id": pd.Series(columns["asv_id"], dtype=object),
            "ref_id": pd.Series(columns["ref_id"], dtype=object),
            "identity": pd.Series(columns["identity"], dtype="float64"),
            "alnlen": pd.Series(columns["alnlen"], dtype="int64"),
            "mism": pd.Series(columns["mism"], dtype="int64"),
            "opens": pd.Series(columns["opens"], dtype="int64"),
        }
    )


def read_references(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the taxonomy table of a built reference database (all columns as text).

    Empty cells stay ``""`` (no NA guessing, so no name is ever read as missing).
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError("reference taxonomy table not found", path=path) from None
    missing = [c for c in REFERENCE_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"the taxonomy table lacks column(s) {', '.join(missing)}; "
            f"found {', '.join(map(str, table.columns))}",
            path=path,
            line=1,
            hint="use the taxonomy table written by the reference-database build",
        )
    return table


# --------------------------------------------------------------------------------------
# Assigning
# --------------------------------------------------------------------------------------


def validate_thresholds(
    thresholds: Mapping[str, float], margin: float = DEFAULT_MARGIN
) -> dict[str, float]:
    """Check per-rank identity thresholds and the near-best margin; return them as floats.

    Thresholds are percentages in (0, 100] for exactly the ranks species, genus, family
    and order, with species >= genus >= family >= order. The margin is >= 0.
    Raises :class:`InputError` with a hint otherwise.
    """
    hint = (
        "thresholds are percent identities per rank, e.g. "
        "{species: 98.5, genus: 96.0, family: 90.0, order: 85.0}"
    )
    keys = set(thresholds)
    if keys != set(RANKS):
        missing = [r for r in RANKS if r not in keys]
        extra = sorted(map(str, keys - set(RANKS)))
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if extra:
            parts.append("unknown " + ", ".join(extra))
        raise InputError(f"identity thresholds: {'; '.join(parts)}", hint=hint)
    values: dict[str, float] = {}
    for rank in RANKS:
        value = thresholds[rank]
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(
                f"identity threshold for {rank} is {value!r}, not a number", hint=hint
            ) from None
        if not 0.0 < number <= 100.0:
            raise InputError(
                f"identity threshold for {rank} is {number}, expected a percentage in (0, 100]",
                hint=hint,
            )
        values[rank] = number
    if max(values.values()) <= 1.0:
        raise InputError(
            f"identity thresholds {values} look like fractions",
            hint="give percentages (98.5), not fractions (0.985)",
        )
    for lower, higher in zip(RANKS, RANKS[1:], strict=False):
        if values[lower] < values[higher]:
            raise InputError(
                f"identity threshold for {lower} ({values[lower]}) is below the one for "
                f"{higher} ({values[higher]}); expected species >= genus >= family >= order",
                hint=hint,
            )
    try:
        margin_value = float(margin)
    except (TypeError, ValueError):
        raise InputError(f"near-best margin {margin!r} is not a number") from None
    if not 0.0 <= margin_value < 100.0 or math.isnan(margin_value):
        raise InputError(
            f"near-best margin is {margin_value}, expected percentage points >= 0 (e.g. 0.5)"
        )
    return values


def _text_or_none(value: object) -> str | None:
    """A table cell as text, with "", None and NaN read as missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _reference_lookup(refs: pd.DataFrame) -> pd.DataFrame:
    """Per ref_id: species, genus, family, order (None when empty), candidate key, name."""
    missing = [c for c in REFERENCE_COLUMNS if c not in refs.columns]
    if missing:
        raise InputError(
            f"the reference taxonomy lacks column(s) {', '.join(missing)}",
            hint="pass the taxonomy table written by the reference-database build",
        )
    ref_ids = refs["ref_id"].astype(str)
    duplicated = ref_ids[ref_ids.duplicated()].unique().tolist()
    if duplicated:
        raise InputError(
            f"the reference taxonomy lists {len(duplicated)} ref_id(s) more than once, "
            f"e.g. {', '.join(duplicated[:5])}",
            hint="rebuild the reference database; its ref_ids are unique",
        )
    table = pd.DataFrame(index=pd.Index(ref_ids.tolist(), name="ref_id"))
    ranks = {rank: [_text_or_none(v) for v in refs[rank].tolist()] for rank in RANKS}
    for rank in RANKS:
        table[rank] = ranks[rank]
    labels = refs["label"].tolist() if "label" in refs.columns else [None] * len(refs)
    names = refs["common_name"].tolist() if "common_name" in refs.columns else [None] * len(refs)
    candidates = [
        species or _text_or_none(label) or (f"{genus}_sp" if genus else None) or ref_id
        for species, genus, label, ref_id in zip(
            ranks["species"], ranks["genus"], labels, table.index, strict=True
        )
    ]
    table["candidate"] = candidates
    table["common_name"] = [_text_or_none(v) or "" for v in names]
    return table


def _candidate_names(lookup: pd.DataFrame) -> dict[str, str]:
    """Candidate key -> common name (from the first reference, by ref_id, that has one)."""
    named = lookup[lookup["common_name"] != ""].sort_index()
    names: dict[str, str] = {}
    for candidate, name in zip(named["candidate"], named["common_name"], strict=True):
        names.setdefault(candidate, name)
    return names


def _join_unique(values: Sequence[str], sep: str) -> str:
    seen: list[str] = []
    for v in values:
        if v and v not in seen:
            seen.append(v)
    return sep.join(seen)


def _round(value: float) -> float:
    return float("nan") if value is None or math.isnan(value) else round(float(value), 2)


def assign_taxa(
    asv_ids: Sequence[str],
    hits: pd.DataFrame,
    refs: pd.DataFrame,
    thresholds: Mapping[str, float] = DEFAULT_THRESHOLDS,
    margin: float = DEFAULT_MARGIN,
    new_haplotypes: NewHaplotypeRule | None = None,
    congener_identity: Mapping[str, float] | None = None,
    odd_records: frozenset[str] = frozenset(),
    max_odd_set_aside: int = 1,
    odd_within_genus: bool = False,
) -> pd.DataFrame:
    """Assign each ASV a taxon from its vsearch hits (LCA of the near-best hits).

    Args:
        asv_ids: the ASVs to assign, in output order (no duplicates).
        hits: vsearch hits with at least asv_id, ref_id, identity (percent); hits of ASVs
            not in ``asv_ids`` are ignored.
        refs: the reference taxonomy (ref_id, species, genus, family, order, and
            optionally label and common_name); empty cells mean "unknown".
        thresholds: minimum best identity per rank, see :func:`validate_thresholds`.
        margin: hits within ``margin`` percentage points of the best are near-best.
        new_haplotypes: the rule for ASVs below the species threshold (None: none named
            below it).
        congener_identity: ref_id -> the highest identity of that record to a record of
            another species of its genus (NaN or absent: none within reach); needed for
            the references :func:`new_haplotype_references` lists.
        odd_records: ref_ids of records at odds with their own species (far from its other
            records, close to another species; see :mod:`riverfish.refreview`).
        max_odd_set_aside: at most this many odd records among an ASV's near-best hits
            are set aside when they name another genus than the others (so that a single
            misidentified record does not veto a call); 0 keeps them all.
        odd_within_genus: also set aside odd records of the others' genus. Off by
            default: a congener's record identical to the ASV is what a tie between
            congeners looks like, and the sets with known truth call those the genus.

    Returns one row per ASV with :data:`ASSIGNMENT_COLUMNS`:

    - ``rank``: the lowest rank r with ``best >= thresholds[r]`` at which every near-best
      hit names the same (known) taxon; a genus-only reference among the near-best hits
      therefore prevents a species call. ``unassigned`` otherwise or without hits.
    - ``taxon``: ``Genus_epithet`` (species), ``Genus_sp`` (genus), the family or order
      name, or ``unassigned``; ``species``..``order`` hold names down to the rank.
    - ``candidates``: the distinct species keys (and labels of genus-only references) of
      the near-best hits, sorted, joined with ``;``.
    - ``common_name``: the species' name; for a genus call the candidates' names joined
      with ``/`` when every one has a name (one candidate only when it is reached at the
      species threshold: a taxon without a species name), else ``<Genus>属`` (never one
      species' name for an ASV that may be another species); empty at higher ranks.
    - ``next_species_identity``: the best identity of a hit naming another candidate than
      the best hit (NaN if none); ``margin_to_next_species`` = best minus that.
    - identities are rounded to 2 decimals; ``n_hits``, ``n_near_best`` count hits.
    - ``basis``: why this rank, in words (``strict``: the species threshold reached by one
      species; ``new haplotype``: the rule above; otherwise what stopped a lower rank).

    Raises :class:`InputError` on invalid thresholds, duplicated ASV IDs, or hits whose
    ref_id is not in ``refs`` (hits made against another database build).
    """
    thr = validate_thresholds(thresholds, margin)
    margin = float(margin)
    ids = _checked_ids(asv_ids, hits)
    lookup = _reference_lookup(refs)
    names_of = _candidate_names(lookup)
    h = _hits_of(ids, hits, lookup)
    set_aside: dict[str, list[str]] = {}
    if len(h) and odd_records and max_odd_set_aside > 0:
        h, set_aside = _set_aside_odd(h, odd_records, margin, max_odd_set_aside, odd_within_genus)
    per_asv = _near_best_summary(h, margin) if len(h) else {}

    rows = []
    for asv in ids:
        info = per_asv.get(asv)
        if info is None:
            rows.append(_unassigned_row(asv))
            continue
        rank = _lowest_agreed_rank(info, thr)
        basis = _basis(rank, info, thr, margin)
        if asv in set_aside:
            basis += f"; odd record(s) set aside: {', '.join(set_aside[asv])}"
        if rank != "species" and new_haplotypes is not None and new_haplotypes.enabled:
            rank, basis = _new_haplotype_call(
                rank, basis, info, new_haplotypes, thr, congener_identity or {}
            )
        names, taxon, common = _taxon_and_name(rank, info, names_of, thr)
        rows.append(_assignment_row(asv, info, rank, names, taxon, common, basis))
    table = pd.DataFrame(rows, columns=list(ASSIGNMENT_COLUMNS))
    return table.astype(
        {
            "best_identity": "float64",
            "next_species_identity": "float64",
            "margin_to_next_species": "float64",
            "n_hits": "int64",
            "n_near_best": "int64",
        }
    )


def _checked_ids(asv_ids: Sequence[str], hits: pd.DataFrame) -> list[str]:
    """The ASV IDs as text; InputError for a duplicate or a hits table without its
    columns."""
    ids = [str(a) for a in asv_ids]
    if len(set(ids)) != len(ids):
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].unique().tolist()
        raise InputError(f"ASV IDs given more than once: {', '.join(dup[:5])}")
    for column in ("asv_id", "ref_id", "identity"):
        if column not in hits.columns:
            raise InputError(
                f"the hits table lacks the column {column!r}",
                hint="read the vsearch output with read_hits()",
            )
    return ids


def _hits_of(ids: list[str], hits: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """The hits of the ASVs, typed and joined to their reference's taxonomy; InputError
    for a reference the taxonomy does not have (hits of another database build)."""
    h = hits.loc[hits["asv_id"].astype(str).isin(set(ids)), ["asv_id", "ref_id", "identity"]]
    h = h.astype({"asv_id": str, "ref_id": str, "identity": "float64"})
    unknown = sorted(set(h["ref_id"]) - set(lookup.index))
    if unknown:
        raise InputError(
            f"{len(unknown)} reference(s) in the hits are not in the reference taxonomy, "
            f"e.g. {', '.join(unknown[:5])}",
            hint="the hits were made against another database build; rerun the search "
            "against the current reference FASTA",
        )
    return h.join(lookup, on="ref_id") if len(h) else h


def _near_best_summary(h: pd.DataFrame, margin: float) -> dict[str, dict[str, object]]:
    """Per ASV: the best identity, the best of another candidate, the hit counts, the
    near-best hits' candidates and references, and the name each rank's near-best hits
    all agree on (None where they do not, or where one does not know it)."""
    h = h.sort_values(
        ["asv_id", "identity", "candidate", "ref_id"], ascending=[True, False, True, True]
    )
    groups = h.groupby("asv_id", sort=False)
    best = groups["identity"].transform("max")
    top_candidate = groups["candidate"].transform("first")
    others = h[h["candidate"] != top_candidate]
    next_best = others.groupby("asv_id")["identity"].max().to_dict()
    n_hits = groups.size().to_dict()

    near = h[h["identity"] >= best - margin - _EPS]
    near_groups = near.groupby("asv_id", sort=False)
    size = near_groups.size()
    agreed: dict[str, dict[str, str | None]] = {}
    for rank in RANKS:
        unanimous = (near_groups[rank].nunique() == 1) & (near_groups[rank].count() == size)
        firsts = near_groups[rank].first()
        agreed[rank] = {
            asv: (_text_or_none(firsts[asv]) if ok else None) for asv, ok in unanimous.items()
        }
    candidates = near_groups["candidate"].agg(lambda s: sorted(set(s))).to_dict()
    near_refs = near_groups["ref_id"].agg(list).to_dict()
    best_of = near_groups["identity"].max().to_dict()
    return {
        asv: {
            "best": best_of[asv],
            "next": next_best.get(asv, float("nan")),
            "n_hits": int(n_hits[asv]),
            "n_near": int(size[asv]),
            "candidates": candidates[asv],
            "refs": near_refs[asv],
            **{rank: agreed[rank][asv] for rank in RANKS},
        }
        for asv in size.index
    }


def _lowest_agreed_rank(info: Mapping, thr: Mapping[str, float]) -> str:
    """The lowest rank whose threshold the best hit reaches and whose name every
    near-best hit gives; ``unassigned`` where none."""
    best_identity = float(info["best"])
    for r in RANKS:
        if best_identity >= thr[r] - _EPS and info[r]:
            return r
    return "unassigned"


def _new_haplotype_call(
    rank: str,
    basis: str,
    info: Mapping,
    rule: NewHaplotypeRule,
    thr: Mapping[str, float],
    congener_identity: Mapping[str, float],
) -> tuple[str, str]:
    """The species for an ASV below the species threshold where the new-haplotype rule
    holds (rank and basis changed), else the reason it does not added to the basis."""
    best_identity = float(info["best"])
    why_not = _new_haplotype_refusal(info, rule, congener_identity)
    if why_not is None:
        return "species", (
            f"new haplotype: {best_identity:.1f} % to {info['species']} (below "
            f"{thr['species']:g} %), next species {_fmt(info['next'])}, nearest "
            f"congener of its record {_fmt(_congener(info, congener_identity))}"
        )
    if info["species"] and best_identity >= rule.min_identity - _EPS:
        basis += f"; not a new haplotype: {why_not}"
    return rank, basis


def _taxon_and_name(
    rank: str, info: Mapping, names_of: Mapping[str, str], thr: Mapping[str, float]
) -> tuple[dict[str, str], str, str]:
    """The names down to the rank, the taxon label and its Japanese name."""
    names = {r: "" for r in RANKS}
    if rank != "unassigned":
        for r in RANKS[RANKS.index(rank) :]:
            names[r] = info[r] or ""
    cands: list[str] = info["candidates"]
    if rank == "species":
        return names, names["species"], names_of.get(names["species"], "")
    if rank == "genus":
        known = [names_of.get(c, "") for c in cands]
        # one candidate reached at the species threshold is a taxon without a species
        # name (Rhinogobius_sp_OR, トウヨシノボリ): its name is the ASV's
        alone = len(cands) == 1 and float(info["best"]) >= thr["species"] - _EPS
        if all(known) and (len(cands) > 1 or alone):
            common = _join_unique(known, "/")
        else:
            common = f"{names['genus']}属"
        return names, f"{names['genus']}_sp", common
    if rank in ("family", "order"):
        return names, names[rank], ""
    return names, "unassigned", ""


def _assignment_row(
    asv: str,
    info: Mapping,
    rank: str,
    names: Mapping[str, str],
    taxon: str,
    common: str,
    basis: str,
) -> dict[str, object]:
    best_identity, next_identity = float(info["best"]), float(info["next"])
    return {
        "asv_id": asv,
        "taxon": taxon,
        "rank": rank,
        **names,
        "best_identity": _round(best_identity),
        "candidates": ";".join(info["candidates"]),
        "common_name": common,
        "next_species_identity": _round(next_identity),
        "margin_to_next_species": _round(best_identity - next_identity),
        "n_hits": info["n_hits"],
        "n_near_best": info["n_near"],
        "basis": basis,
    }


def _unassigned_row(asv: str) -> dict[str, object]:
    """The row of an ASV without hits."""
    return {
        "asv_id": asv,
        "taxon": "unassigned",
        "rank": "unassigned",
        **{r: "" for r in RANKS},
        "best_identity": float("nan"),
        "candidates": "",
        "common_name": "",
        "next_species_identity": float("nan"),
        "margin_to_next_species": float("nan"),
        "n_hits": 0,
        "n_near_best": 0,
        "basis": "no hit above the identity floor",
    }


def _set_aside_odd(
    h: pd.DataFrame, odd: frozenset[str], margin: float, max_n: int, within_genus: bool
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Remove the hits to odd records of the ASVs whose near-best hits they split: at most
    ``max_n`` odd records, naming another genus (``within_genus``: another species) than
    the other near-best hits, with at least one other near-best hit left. Returns the hits
    and, per ASV, the records set aside (with their label)."""
    best = h.groupby("asv_id")["identity"].transform("max")
    near = h[h["identity"] >= best - margin - _EPS]
    removed: dict[str, list[str]] = {}
    drop = pd.Series(False, index=h.index)
    for asv, g in near.groupby("asv_id", sort=False):
        is_odd = g["ref_id"].isin(odd)
        if not is_odd.any() or is_odd.all() or is_odd.sum() > max_n:
            continue
        key = "candidate" if within_genus else "genus"
        if set(g.loc[is_odd, key]) & set(g.loc[~is_odd, key]):
            continue  # of the others' genus (or species): a tie, not a stray record
        refs = g.loc[is_odd, "ref_id"].tolist()
        drop |= (h["asv_id"] == asv) & h["ref_id"].isin(refs)
        removed[asv] = [f"{r} ({c})" for r, c in zip(refs, g.loc[is_odd, "candidate"], strict=True)]
    return h[~drop], removed


def _fmt(identity: float) -> str:
    return "none within reach" if identity is None or math.isnan(identity) else f"{identity:.1f} %"


def _congener(info: Mapping[str, object], congener_identity: Mapping[str, float]) -> float:
    """The highest identity of the ASV's near-best records to a congener (NaN if none)."""
    values = [congener_identity.get(r, float("nan")) for r in info["refs"]]
    values = [v for v in values if not math.isnan(v)]
    return max(values) if values else float("nan")


def _new_haplotype_refusal(
    info: Mapping[str, object], rule: NewHaplotypeRule, congener_identity: Mapping[str, float]
) -> str | None:
    """Why an ASV below the species threshold is not named its species (None: it is)."""
    best, nxt = float(info["best"]), float(info["next"])
    if not info["species"]:
        return "its near-best hits name more than one species"
    if best < rule.min_identity - _EPS:
        return f"below {rule.min_identity:g} %"
    if not math.isnan(nxt):
        if best - nxt < rule.min_gap - _EPS:
            return f"next species {nxt:.1f} %, less than {rule.min_gap:g} points lower"
        if 100.0 - nxt < rule.distance_ratio * (100.0 - best) - _EPS:
            return f"next species {nxt:.1f} %, not {rule.distance_ratio:g} times as far"
    congener = _congener(info, congener_identity)
    if (
        not math.isnan(congener)
        and (100.0 - best) > rule.max_congener_ratio * (100.0 - congener) + _EPS
    ):
        return (
            f"its species' record is {congener:.1f} % to a congener: a missing sister "
            "species could be as close"
        )
    return None


def _basis(rank: str, info: Mapping[str, object], thr: Mapping[str, float], margin: float) -> str:
    """Why the LCA stopped at ``rank``, in words."""
    best = float(info["best"])
    if rank == "species":
        return (
            f"strict: {best:.1f} % (>= {thr['species']:g} %), no other species within "
            f"{margin:g} points"
        )
    lower = RANKS[: RANKS.index(rank)] if rank in RANKS else RANKS
    reasons = []
    for r in lower:
        why = []
        if best < thr[r] - _EPS:
            why.append(f"threshold {thr[r]:g} % not reached ({best:.1f} %)")
        if not info[r]:
            why.append("near-best hits name more than one")
        if why:
            reasons.append(f"{r}: {', '.join(why)}")
    return "; ".join(reasons) or "no rank agreed"


def new_haplotype_references(
    hits: pd.DataFrame,
    refs: pd.DataFrame,
    thresholds: Mapping[str, float] = DEFAULT_THRESHOLDS,
    margin: float = DEFAULT_MARGIN,
    rule: NewHaplotypeRule | None = None,
) -> list[str]:
    """The near-best references of the ASVs that may be named by ``rule``: their best
    identity between the rule's and the species threshold, one species among their
    near-best hits. :func:`assign_taxa` needs these records' congener identities."""
    rule = rule or NewHaplotypeRule()
    if not rule.enabled or hits.empty:
        return []
    thr = validate_thresholds(thresholds, margin)
    lookup = _reference_lookup(refs)
    h = hits[["asv_id", "ref_id", "identity"]].astype(
        {"asv_id": str, "ref_id": str, "identity": "float64"}
    )
    h = h[h["ref_id"].isin(lookup.index)].join(lookup[["species"]], on="ref_id")
    best = h.groupby("asv_id")["identity"].transform("max")
    near = h[h["identity"] >= best - float(margin) - _EPS]
    g = near.groupby("asv_id")
    top = g["identity"].max()
    one_species = (g["species"].nunique() == 1) & (g["species"].count() == g.size())
    asvs = top[(top >= rule.min_identity - _EPS) & (top < thr["species"] - _EPS) & one_species]
    return sorted(set(near.loc[near["asv_id"].isin(asvs.index), "ref_id"]))
