"""Classification of the workflow's ASVs on the simulated set and the real MiSeq run."""

from collections import defaultdict

import pandas as pd

from conftest import DEV, REFERENCE, run_workflow
from riverfish.asvs import read_fasta
from riverfish.refnames import normalise_name

TAXONOMY_COLUMNS = [
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
]


def _truth_sequences():
    """sequence -> set of truth taxa whose reference records carry exactly that sequence."""
    truth = pd.read_csv(DEV / "truth_composition.tsv", sep="\t")
    taxa = truth.drop_duplicates("taxon").set_index("taxon")
    by_seq = defaultdict(set)
    for header, seq in read_fasta(REFERENCE / "MiFish_DB.fas"):
        name = normalise_name(header.split("|")[-1])
        for taxon, t in taxa.iterrows():
            if t["rank"] == "species" and name.species == taxon:
                by_seq[seq.upper()].add((taxon, "species"))
            if t["rank"] == "genus" and name.genus == t["genus"]:
                by_seq[seq.upper()].add((taxon, "genus"))
    return by_seq, taxa


def test_truth_sequences_get_their_taxon(dev_run):
    by_seq, taxa = _truth_sequences()
    tax = pd.read_csv(dev_run / "taxonomy" / "asv_taxonomy.tsv", sep="\t", keep_default_na=False)
    assert list(tax.columns[: len(TAXONOMY_COLUMNS)]) == TAXONOMY_COLUMNS
    asvs = dict(read_fasta(dev_run / "asv" / "asvs.fasta"))
    assert list(tax["asv_id"]) == list(asvs)
    tax = tax.set_index("asv_id")
    seen = set()
    for asv_id, seq in asvs.items():
        expected = by_seq.get(seq)
        if not expected:
            continue
        assert len(expected) == 1, (asv_id, expected)
        taxon, rank = next(iter(expected))
        row = tax.loc[asv_id]
        assert (row["taxon"], row["rank"]) == (taxon, rank), asv_id
        assert row["family"] == taxa.loc[taxon, "family"]
        assert row["order"] == taxa.loc[taxon, "order"]
        assert row["best_identity"] == 100.0
        seen.add(taxon)
    # every truth taxon is present as an exact reference sequence, ties included
    assert seen == set(taxa.index)
    tri = tax[tax["taxon"] == "Tridentiger_sp"].iloc[0]
    assert tri["rank"] == "genus" and tri["species"] == "" and tri["genus"] == "Tridentiger"
    assert tri["candidates"] == "Tridentiger_brevispinis;Tridentiger_kuroiwae;Tridentiger_obscurus"
    cob = tax[tax["taxon"] == "Cobitis_sp"].iloc[0]
    assert cob["rank"] == "genus" and cob["candidates"] == "Cobitis_biwae;Cobitis_sp_BIWAE_typeB"
    assert tax.loc[tax["taxon"] == "Salvelinus_leucomaenis", "common_name"].iloc[0] == "アメマス"


def test_pmifish_abundant_asvs_classified(pmifish_run):
    tax = pd.read_csv(pmifish_run / "taxonomy" / "asv_taxonomy.tsv", sep="\t").set_index("asv_id")
    counts = pd.read_csv(pmifish_run / "asv" / "asv_counts.tsv", sep="\t")
    total = counts["reads"].sum()
    abundant = counts[counts["reads"] >= 0.01 * total]
    assert len(abundant) >= 10
    ranks = tax.loc[abundant["asv_id"], "rank"]
    assert set(ranks) <= {"species", "genus", "family"}, ranks.value_counts()


def test_classification_cache_and_reuse(tmp_path, dev_run):
    """A second output folder with a copy of the cache searches nothing again."""
    import shutil

    import yaml

    from conftest import ROOT

    work = tmp_path / "again"
    shutil.copytree(dev_run.parent / "results" / "cache", work / "results" / "cache")
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    run_workflow(work, config)
    log = (work / "results" / "logs" / "classify.log").read_text()
    n = len(list(read_fasta(dev_run / "asv" / "asvs.fasta")))
    assert f"{n} ASV(s) from the cache, 0 searched" in log
    a = (work / "results" / "taxonomy" / "asv_taxonomy.tsv").read_bytes()
    assert a == (dev_run / "taxonomy" / "asv_taxonomy.tsv").read_bytes()
