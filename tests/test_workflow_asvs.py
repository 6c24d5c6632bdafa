"""The workflow from reads to ASVs on real and simulated data with known content."""

import csv
from collections import defaultdict

import pandas as pd

from conftest import DEV, REFERENCE
from riverfish.asvs import md5seq, read_fasta
from riverfish.tables import TRACKING_COLUMNS


def test_pmifish_read_tracking_exact(pmifish_run):
    tracking = pd.read_csv(pmifish_run / "qc" / "read_tracking.tsv", sep="\t")
    assert list(tracking.columns[: len(TRACKING_COLUMNS)]) == TRACKING_COLUMNS
    row = tracking.iloc[0]
    assert len(tracking) == 1 and row["sample"] == "PMiFish-sample"
    assert row["campaign"] == "pmifish-run"
    got = [int(row[c]) for c in TRACKING_COLUMNS[2:]]
    # raw_pairs, merged, primer_trimmed, length_ok, quality_ok, in_asvs (before the
    # merge retries and counting the reads over the error limit: 9918 merged, 9726 in ASVs)
    assert got == [10000, 9940, 9870, 9870, 9743, 9838]
    assert row["merged_after_truncation"] == 4


def test_pmifish_asv_counts_add_up(pmifish_run):
    counts = pd.read_csv(pmifish_run / "asv" / "asv_counts.tsv", sep="\t")
    asvs = dict(read_fasta(pmifish_run / "asv" / "asvs.fasta"))
    assert list(counts.columns) == ["asv_id", "sample", "reads"]
    assert counts["reads"].sum() == 9838
    assert (counts["reads"] > 0).all()
    assert len(asvs) == 49 and set(counts["asv_id"]) == set(asvs)
    for asv_id, seq in asvs.items():
        assert asv_id == md5seq(seq) and seq == seq.upper()
    top = counts.sort_values("reads", ascending=False).iloc[0]
    assert (top["asv_id"], top["reads"]) == ("b81457fe31989ec9d513f9e80ce9a541", 2090)


def _reference_labels():
    labels = defaultdict(set)
    for header, seq in read_fasta(REFERENCE / "MiFish_DB.fas"):
        labels[seq.upper()].add(header.split("|")[-1])
    return labels


def test_dev_asvs_are_true_taxa(dev_run):
    """Every ASV with >= 1% of a field sample's reads is the reference sequence of one of
    that sample's true taxa."""
    labels = _reference_labels()
    asvs = dict(read_fasta(dev_run / "asv" / "asvs.fasta"))
    counts = pd.read_csv(dev_run / "asv" / "asv_counts.tsv", sep="\t")
    with open(DEV / "samples.tsv") as fh:
        field = {r["sample"] for r in csv.DictReader(fh, delimiter="\t") if r["type"] == "sample"}
    truth = pd.read_csv(DEV / "truth_composition.tsv", sep="\t")
    totals = counts.groupby("sample")["reads"].sum()
    checked = 0
    wrong = []
    for row in counts.itertuples():
        if row.sample not in field or row.reads < 0.01 * totals[row.sample]:
            continue
        checked += 1
        seq_labels = labels.get(asvs[row.asv_id], set())
        ok = False
        for t in truth[truth["sample"] == row.sample].itertuples():
            for label in seq_labels:
                if t.rank == "species" and (label == t.taxon or label.startswith(t.taxon + "_")):
                    ok = True
                if t.rank == "genus" and label.startswith(t.genus + "_"):
                    ok = True
        if not ok:
            wrong.append((row.sample, row.asv_id, row.reads, sorted(seq_labels)))
    assert wrong == []
    assert checked >= 100  # 24 field samples x 2-10 taxa each


def test_dev_counts_add_up_per_sample(dev_run):
    counts = pd.read_csv(dev_run / "asv" / "asv_counts.tsv", sep="\t")
    tracking = pd.read_csv(dev_run / "qc" / "read_tracking.tsv", sep="\t").set_index("sample")
    with open(DEV / "samples.tsv") as fh:
        sheet = list(csv.DictReader(fh, delimiter="\t"))
    # campaigns in config order, samples in sheet order within a campaign
    expected = [
        r["sample"] for c in ("2025-spring", "2025-autumn") for r in sheet if r["campaign"] == c
    ]
    assert list(tracking.index) == expected
    assert dict(tracking["campaign"]) == {r["sample"]: r["campaign"] for r in sheet}
    sums = counts.groupby("sample")["reads"].sum()
    for sample, row in tracking.iterrows():
        assert sums.get(sample, 0) == row["in_asvs"], sample
        steps = [row[c] for c in TRACKING_COLUMNS[2:-1]]
        assert steps == sorted(steps, reverse=True), sample
        # reads over the error limit count in the ASVs they match: in_asvs may pass
        # quality_ok, never length_ok
        assert row["in_asvs"] <= row["length_ok"], sample
    # the simulated samples hold 4,900-5,000 pairs; blanks a few dozen
    assert tracking.loc["HY-up_2025-spring_r1", "raw_pairs"] == 5000
    assert tracking.loc["Hayase-blank_2025-spring", "raw_pairs"] == 43
    # ASVs of the union are unique and every counted ASV is in it
    asv_ids = [h for h, _ in read_fasta(dev_run / "asv" / "asvs.fasta")]
    assert len(asv_ids) == len(set(asv_ids)) and set(counts["asv_id"]) <= set(asv_ids)
    per_campaign = set()
    for campaign in ("2025-spring", "2025-autumn"):
        per_campaign |= {h for h, _ in read_fasta(dev_run / "campaigns" / campaign / "asvs.fasta")}
    assert per_campaign == set(asv_ids)
