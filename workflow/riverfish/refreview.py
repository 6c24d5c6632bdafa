"""Review of a built reference database: records at odds with their own species, and
names of different genera that carry (nearly) the same sequence.

Every distinct sequence of the database is searched against the others once (vsearch,
the 4 best hits at >= 85 % identity; records sharing a sequence share its hits; 1.7 s for
the MiFish database on 2 cores, a fallback search included). From those hits:

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
from riverfish.refstats import nearest_identities, with_taxa

#: a record farther than this (%) from every other record of its species ...
MAX_CONSPECIFIC = 97.0
#: ... and at least this many points closer to a record of another species is odd
MIN_MARGIN = 2.0
#: names of two genera whose records are at least this identical (%) are listed
MIN_IDENTITY = 99.5
#: hits kept per record in the search: an odd record's nearest records are of other
#: species, so a few suffice (its conspecific identity is searched on its own if need be)
MAX_HITS = 4

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
    """Hits (query, target, identity) of every record against all the others.

    Records that share a sequence (a third of the MiFish database's records) are searched
    once: the distinct sequences are searched against each other, and their hits, and an
    identity of 100 % between records of one sequence, are given to every record."""
    seq_id: dict[str, str] = {}
    for r in records:
        seq_id.setdefault(r.sequence, f"u{len(seq_id)}")
    members = pd.DataFrame(
        {"u": [seq_id[r.sequence] for r in records], "ref_id": [r.ref_id for r in records]}
    )
    unique = nearest_identities(
        ((u, seq) for seq, u in seq_id.items()),
        None,
        threads=threads,
        max_hits=MAX_HITS,
        max_rejects=2 * MAX_HITS,
    )
    pairs = unique.merge(members.rename(columns={"u": "query", "ref_id": "q"}), on="query")
    pairs = pairs.merge(members.rename(columns={"u": "target", "ref_id": "t"}), on="target")
    same = members.merge(members, on="u", suffixes=("_q", "_t"))
    same = same[same["ref_id_q"] != same["ref_id_t"]]
    hits = pd.concat(
        [
            pd.DataFrame(
                {"query": pairs["q"], "target": pairs["t"], "identity": pairs["identity"]}
            ),
            pd.DataFrame(
                {"query": same["ref_id_q"], "target": same["ref_id_t"], "identity": 100.0}
            ),
        ],
        ignore_index=True,
    )
    return hits.reset_index(drop=True)


def _joined(hits: pd.DataFrame, records: Sequence[RefRecord]) -> pd.DataFrame:
    return with_taxa(hits, _table(records))


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
        # the database holds only the species of these records: the 64 best hits hold the
        # nearest conspecific record unless more than 64 records of other species are
        # closer (no tie group of the MiFish database is that large)
        return nearest_identities(queries, db, threads=threads, max_hits=64, max_rejects=64)


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
    h = hits if "genus_t" in hits else _joined(hits, records)
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
    t = tax[(tax["species"] != "") & tax.index.isin(several) & tax.index.isin(best_other.index)]
    o = best_other.loc[t.index]
    c_id = best_same["identity"].reindex(t.index)
    c_ref = best_same["target"].reindex(t.index)
    far = c_id.isna() | (c_id < max_conspecific)
    closer = o["identity"] >= c_id.fillna(0.0) + min_margin
    keep = far & closer
    t, o, c_id, c_ref = t[keep], o[keep], c_id[keep], c_ref[keep]
    other_name = o["species_t"].where(o["species_t"] != "", o["label_t"])
    rows = []
    for ref_id in t.index:
        rec, hit = t.loc[ref_id], o.loc[ref_id]
        cid = float(c_id[ref_id])
        own = (
            f"no other {rec['species']} record within 85 %"
            if pd.isna(c_id[ref_id])
            else f"{cid:.1f} % to the nearest other {rec['species']} record ({c_ref[ref_id]})"
        )
        rows.append(
            {
                "ref_id": ref_id,
                "label": rec["label"],
                "species": rec["species"],
                "genus": rec["genus"],
                "family": rec["family"],
                "conspecific_identity": cid,
                "nearest_conspecific": "" if pd.isna(c_ref[ref_id]) else c_ref[ref_id],
                "other_identity": float(hit["identity"]),
                "nearest_other": hit["target"],
                "other_species": other_name[ref_id],
                "other_genus": hit["genus_t"],
                "other_family": hit["family_t"],
                "evidence": f"{own}; {float(hit['identity']):.1f} % to {other_name[ref_id]} "
                f"({hit['target']}, {hit['family_t']})",
            }
        )
    return pd.DataFrame(rows, columns=ODD_COLUMNS)


def cross_genus_names(
    hits: pd.DataFrame, records: Sequence[RefRecord], min_identity: float = MIN_IDENTITY
) -> pd.DataFrame:
    """Pairs of names (species, or the label of genus-only records) of different genera
    whose records are at least ``min_identity`` identical: candidate synonyms or
    misidentifications, most similar first."""
    close = hits[hits["identity"] >= min_identity]
    h = close if "genus_t" in close else _joined(close, records)
    h = h[h["genus"] != h["genus_t"]].copy()
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


def review(records: Sequence[RefRecord], threads: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(odd records, names to review) of a built database, from one search."""
    hits = _joined(self_hits(records, threads), records)
    return odd_records(hits, records, threads=threads), cross_genus_names(hits, records)


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
