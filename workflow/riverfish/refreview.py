"""Review of a built reference database: records at odds with their own species, and
names of different genera that carry (nearly) the same sequence.

Every kept record is searched against the database once (vsearch, the 16 best hits at
>= 85 % identity; about 3 s for the MiFish database on 2 cores). From those hits:

- **odd records** (:func:`odd_records`): a record farther than ``max_conspecific`` from
  every other record of its species while clearly closer to another species. In the
  MiFish database these are misidentified or misfiled records (a *Procypris* record
  identical to carp, 93 % from the other record of its species). The classifier keeps a
  single such record from vetoing a call (``classify.odd_records``).
- **names to review** (:func:`cross_genus_names`): pairs of names of different genera
  whose records are >= ``min_identity`` identical: candidate synonyms (the same fish filed
  under an old and a new genus) or misidentifications, to be curated in
  ``reference_db/name_fixes.tsv`` with a source, never guessed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from riverfish.asvs import write_fasta
from riverfish.refdb import RefRecord, ReportLine
from riverfish.refstats import nearest_identities

#: a record farther than this (%) from every other record of its species ...
MAX_CONSPECIFIC = 97.0
#: ... and at least this many points closer to a record of another species is odd
MIN_MARGIN = 2.0
#: names of two genera whose records are at least this identical (%) are listed
MIN_IDENTITY = 99.5
#: hits kept per record in the search
MAX_HITS = 16

#: the build-report items of the review (after those of :data:`riverfish.refdb.REPORT_ITEMS`)
REPORT_ITEMS = {
    "odd_records": "records far from every other record of their species and close to "
    "another species (odd_records.tsv)",
    "cross_genus_names": "names of different genera with >= 99.5 % identical records "
    "(name_review.tsv)",
}

ODD_COLUMNS = [
    "ref_id",
    "label",
    "species",
    "genus",
    "family",
    "conspecific_identity",
    "nearest_conspecific",
    "other_identity",
    "nearest_other",
    "other_species",
    "other_genus",
    "other_family",
    "evidence",
]
NAME_COLUMNS = [
    "name_a",
    "name_b",
    "family_a",
    "family_b",
    "max_identity",
    "record_pairs",
    "identical",
]


def _table(records: Sequence[RefRecord]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ref_id": [r.ref_id for r in records],
            "label": [r.label for r in records],
            "species": [r.species or "" for r in records],
            "genus": [r.genus for r in records],
            "family": [r.family for r in records],
        }
    ).set_index("ref_id")


def self_hits(records: Sequence[RefRecord], threads: int = 1) -> pd.DataFrame:
    """Hits (query, target, identity) of every record against all the others."""
    return nearest_identities(
        ((r.ref_id, r.sequence) for r in records),
        None,
        threads=threads,
        max_hits=MAX_HITS,
        max_rejects=2 * MAX_HITS,
    )


def _joined(hits: pd.DataFrame, records: Sequence[RefRecord]) -> pd.DataFrame:
    tax = _table(records)
    h = hits.join(tax, on="query").join(tax.add_suffix("_t"), on="target")
    return h.dropna(subset=["genus", "genus_t"])


def _conspecific_hits(ids: set[str], records: Sequence[RefRecord], threads: int) -> pd.DataFrame:
    """Hits of the records ``ids`` against the other records of their own species only
    (for those whose nearest records in the database-wide search were all of other
    species: a tie of many identical congeners can fill the search's hit list)."""
    species = {r.species for r in records if r.ref_id in ids}
    own = [(r.ref_id, r.sequence) for r in records if r.species in species]
    queries = [(r.ref_id, r.sequence) for r in records if r.ref_id in ids]
    with tempfile.TemporaryDirectory(prefix="riverfish-review-") as tmp:
        db = Path(tmp) / "own.fasta"
        write_fasta(own, db)
        return nearest_identities(queries, db, threads=threads, max_hits=len(own))


def odd_records(
    hits: pd.DataFrame,
    records: Sequence[RefRecord],
    max_conspecific: float = MAX_CONSPECIFIC,
    min_margin: float = MIN_MARGIN,
    threads: int = 1,
) -> pd.DataFrame:
    """Records of species with several records that lie farther than ``max_conspecific``
    from every other record of their species and at least ``min_margin`` points closer
    to a record of another species. Records whose database-wide hits hold no
    conspecific record are searched against their species' records on their own."""
    tax = _table(records)
    n_of = tax[tax["species"] != ""].groupby("species").size()
    h = _joined(hits, records)
    h = h[h["species"] != ""]
    found = set(h.loc[h["species"] == h["species_t"], "query"])
    several = set(tax.index[tax["species"].map(n_of).fillna(0) >= 2])
    missing = (set(h["query"]) & several) - found
    if missing:
        extra = _joined(_conspecific_hits(missing, records, threads), records)
        h = pd.concat([h, extra[extra["species"] == extra["species_t"]]], ignore_index=True)
    h = h[h["species"] != ""]
    same = h[h["species"] == h["species_t"]].sort_values(
        ["query", "identity"], ascending=[True, False]
    )
    other = h[(h["species"] != h["species_t"])].sort_values(
        ["query", "identity", "target"], ascending=[True, False, True]
    )
    best_same = same.drop_duplicates("query").set_index("query")
    best_other = other.drop_duplicates("query").set_index("query")
    rows = []
    for ref_id, rec in tax.iterrows():
        if not rec["species"] or n_of.get(rec["species"], 0) < 2 or ref_id not in best_other.index:
            continue
        o = best_other.loc[ref_id]
        c = best_same.loc[ref_id] if ref_id in best_same.index else None
        c_id = float(c["identity"]) if c is not None else float("nan")
        far = c is None or c_id < max_conspecific
        if not far or float(o["identity"]) < (0.0 if c is None else c_id) + min_margin:
            continue
        own = (
            f"{c_id:.1f} % to the nearest other {rec['species']} record ({c['target']})"
            if c is not None
            else f"no other {rec['species']} record within 85 %"
        )
        rows.append(
            {
                "ref_id": ref_id,
                "label": rec["label"],
                "species": rec["species"],
                "genus": rec["genus"],
                "family": rec["family"],
                "conspecific_identity": c_id,
                "nearest_conspecific": "" if c is None else c["target"],
                "other_identity": float(o["identity"]),
                "nearest_other": o["target"],
                "other_species": o["species_t"] or o["label_t"],
                "other_genus": o["genus_t"],
                "other_family": o["family_t"],
                "evidence": f"{own}; {float(o['identity']):.1f} % to "
                f"{o['species_t'] or o['label_t']} ({o['target']}, {o['family_t']})",
            }
        )
    return pd.DataFrame(rows, columns=ODD_COLUMNS)


def cross_genus_names(
    hits: pd.DataFrame, records: Sequence[RefRecord], min_identity: float = MIN_IDENTITY
) -> pd.DataFrame:
    """Pairs of names (species, or the label of genus-only records) of different genera
    whose records are at least ``min_identity`` identical: candidate synonyms or
    misidentifications, most similar first."""
    h = _joined(hits, records)
    h = h[(h["genus"] != h["genus_t"]) & (h["identity"] >= min_identity)].copy()
    if h.empty:
        return pd.DataFrame(columns=NAME_COLUMNS)
    h["a"] = h["species"].where(h["species"] != "", h["label"])
    h["b"] = h["species_t"].where(h["species_t"] != "", h["label_t"])
    swap = h["a"] > h["b"]
    h["name_a"] = h["a"].where(~swap, h["b"])
    h["name_b"] = h["b"].where(~swap, h["a"])
    h["family_a"] = h["family"].where(~swap, h["family_t"])
    h["family_b"] = h["family_t"].where(~swap, h["family"])
    g = h.groupby(["name_a", "name_b", "family_a", "family_b"])
    out = g["identity"].agg(["max", "size"]).reset_index()
    out.columns = ["name_a", "name_b", "family_a", "family_b", "max_identity", "record_pairs"]
    out["record_pairs"] = out["record_pairs"] // 2 + out["record_pairs"] % 2
    out["identical"] = out["max_identity"] >= 100.0
    out = out.sort_values(["max_identity", "name_a", "name_b"], ascending=[False, True, True])
    return out[NAME_COLUMNS].reset_index(drop=True)


def report_lines(odd: pd.DataFrame, names: pd.DataFrame, limit: int = 10) -> list[ReportLine]:
    """The build-report lines of the review."""

    def examples(items: list[str]) -> str:
        shown = "; ".join(items[:limit])
        return shown + (f"; ... (+{len(items) - limit} more)" if len(items) > limit else "")

    odd_items = [f"{r.ref_id} ({r.label}): {r.evidence}" for r in odd.itertuples()]
    name_items = [
        f"{r.name_a} / {r.name_b} ({r.max_identity:.1f} %"
        + (f", {r.family_a} / {r.family_b}" if r.family_a != r.family_b else "")
        + ")"
        for r in names.itertuples()
    ]
    return [
        ReportLine("odd_records", len(odd), examples(odd_items)),
        ReportLine("cross_genus_names", len(names), examples(name_items)),
    ]
