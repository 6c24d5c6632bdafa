"""How far apart records of one species, and species of one genus, are in a reference
database: the figures behind the classifier's call of new haplotypes.

A river haplotype missing from the database is a few substitutions from its species'
records. Whether an ASV 1.5 % from its best species can still be named that species
depends on the database: on how much records of one species differ (intraspecific), and
on how close the nearest congener is (interspecific; an unrepresented sister species is
likely as close as the represented congeners are). :func:`nearest_identities` searches
records against the database once (vsearch), :func:`species_table` gives per species the
identity of each record's nearest conspecific record and the identity to the nearest
record of a congener, and :func:`summary` the percentiles the defaults are read from.
Run as ``python -m riverfish.refstats REFS.fasta TAXONOMY.tsv`` on a built database.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from riverfish.asvs import read_fasta, write_fasta
from riverfish.tools import find_tool, run_tool

#: vsearch settings of the search: up to this many hits per record, at >= MIN_IDENTITY
MAX_HITS = 64
MIN_IDENTITY = 85.0


def nearest_identities(
    queries: Iterable[tuple[str, str]],
    db_fasta: str | os.PathLike | None,
    threads: int = 1,
    max_hits: int = MAX_HITS,
    max_rejects: int = 256,
) -> pd.DataFrame:
    """Hits (query, target, identity) of the records ``queries`` (ref_id, sequence)
    against the database (``None``: against the queries themselves), a record's hit to
    itself left out."""
    vsearch = find_tool("vsearch")
    with tempfile.TemporaryDirectory(prefix="riverfish-refstats-") as tmp:
        qfa, out = Path(tmp) / "q.fasta", Path(tmp) / "hits.tsv"
        write_fasta(queries, qfa)
        db = qfa if db_fasta is None else db_fasta
        cmd = [vsearch, "--usearch_global", str(qfa), "--db", str(db)]
        cmd += ["--id", str(MIN_IDENTITY / 100), "--strand", "plus"]
        cmd += ["--maxaccepts", str(max_hits + 1), "--maxrejects", str(max_rejects)]
        cmd += ["--userfields", "query+target+id", "--userout", str(out)]
        cmd += ["--threads", str(threads), "--quiet", "--no_progress"]
        run_tool(cmd, "vsearch --usearch_global (reference against itself)")
        hits = pd.read_csv(
            out, sep="\t", names=["query", "target", "identity"], dtype={0: str, 1: str}
        )
    return hits[hits["query"] != hits["target"]].reset_index(drop=True)


def with_taxa(hits: pd.DataFrame, taxonomy: pd.DataFrame) -> pd.DataFrame:
    """``hits`` (query, target, ...) with the taxonomy (indexed by ref_id) of the query and,
    suffixed ``_t``, of the target; hits of records not in the taxonomy left out."""
    h = hits.join(taxonomy, on="query").join(taxonomy.add_suffix("_t"), on="target")
    return h.dropna(subset=["genus", "genus_t"])


def congener_identity(hits: pd.DataFrame, taxonomy: pd.DataFrame) -> dict[str, float]:
    """ref_id -> the highest identity of that record (a query of ``hits``) to a record of
    another species of the same genus; records without such a hit are left out."""
    tax = taxonomy.set_index("ref_id")[["species", "genus"]]
    h = with_taxa(hits, tax)
    h = h[(h["species"] != "") & (h["species_t"] != "") & (h["species"] != h["species_t"])]
    h = h[h["genus"] == h["genus_t"]]
    return {str(k): float(v) for k, v in h.groupby("query")["identity"].max().items()}


def species_table(hits: pd.DataFrame, taxonomy: pd.DataFrame) -> pd.DataFrame:
    """Per species with at least one record searched: n_records, the lowest identity of a
    record to its nearest conspecific record (``intra_min``, NaN for a single record),
    and the highest identity to a record of another species of the same genus
    (``congener_max``, NaN without a congener within reach)."""
    tax = taxonomy.set_index("ref_id")[["species", "genus"]]
    h = with_taxa(hits, tax)
    h = h[(h["species"] != "") & (h["species_t"] != "")]
    same = h[h["species"] == h["species_t"]]
    congener = h[(h["species"] != h["species_t"]) & (h["genus"] == h["genus_t"])]
    nearest_same = same.groupby("query")["identity"].max()
    q_species = tax["species"]
    per_record = pd.DataFrame(
        {"identity": nearest_same, "species": q_species.loc[nearest_same.index]}
    )
    intra = per_record.groupby("species")["identity"].min()
    inter = congener.groupby("species")["identity"].max()
    searched = tax.loc[tax.index.isin(set(hits["query"]))]
    n = taxonomy[taxonomy["species"] != ""].groupby("species").size()
    species = sorted(set(searched["species"]) - {""})
    out = pd.DataFrame(
        {
            "species": species,
            "genus": [tax.loc[tax["species"] == s, "genus"].iloc[0] for s in species],
            "n_records": [int(n.get(s, 0)) for s in species],
            "intra_min": [intra.get(s, float("nan")) for s in species],
            "congener_max": [inter.get(s, float("nan")) for s in species],
        }
    )
    return out


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Percentiles of intraspecific and congener identities over species (percent)."""
    rows = []
    for column, what in (
        (
            "intra_min",
            "identity of a record to its nearest conspecific record (lowest per species)",
        ),
        ("congener_max", "identity of a species to its nearest congener"),
    ):
        values = table[column].dropna()
        row = {"measure": column, "what": what, "species": len(values)}
        for q in (1, 5, 10, 25, 50, 75, 90, 95, 99):
            row[f"p{q}"] = (
                round(float(values.quantile(q / 100)), 2) if len(values) else float("nan")
            )
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m riverfish.refstats", description=__doc__)
    ap.add_argument("fasta", type=Path, help="refs.fasta of a built database")
    ap.add_argument("taxonomy", type=Path, help="taxonomy.tsv of the same database")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--table", type=Path, help="write the per-species table here (TSV)")
    args = ap.parse_args(argv)
    taxonomy = pd.read_csv(args.taxonomy, sep="\t", dtype=str, keep_default_na=False)
    hits = nearest_identities(read_fasta(args.fasta), args.fasta, threads=args.threads)
    table = species_table(hits, taxonomy)
    if args.table:
        table.to_csv(args.table, sep="\t", index=False)
    print(summary(table).to_string(index=False))
    inter = table["congener_max"].dropna()
    intra = table["intra_min"].dropna()
    for t in (97.0, 97.5, 98.0, 98.5, 99.0):
        print(
            f"identity {t}: {100 * (intra >= t).mean():.1f} % of species keep all their records "
            f"within it of a conspecific; {100 * (inter >= t).mean():.1f} % of species have a "
            "congener as close"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
