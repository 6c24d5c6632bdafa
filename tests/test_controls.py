"""Blank correction, detection thresholds, replicate support and the detections table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riverfish import controls
from riverfish.errors import InputError


def sample_rows(rows: list[tuple]) -> pd.DataFrame:
    """A sample table from (sample, basin, site, campaign, replicate, type, run) tuples."""
    return pd.DataFrame(
        rows, columns=["sample", "basin", "site", "campaign", "replicate", "type", "run"]
    )


def count_rows(rows: list[tuple]) -> pd.DataFrame:
    """A count table from (asv_id, sample, reads) tuples."""
    return pd.DataFrame(rows, columns=["asv_id", "sample", "reads"])


def taxonomy_rows(rows: list[tuple]) -> pd.DataFrame:
    """A taxonomy table from (asv_id, taxon, rank, genus, family, order) tuples."""
    tax = pd.DataFrame(rows, columns=["asv_id", "taxon", "rank", "genus", "family", "order"])
    tax["species"] = np.where(tax["rank"] == "species", tax["taxon"], "")
    tax["common_name"] = ""
    tax["best_identity"] = 100.0
    return tax


# one campaign: two field samples, two blanks; ASV "a" is in both blanks, "c" only in a blank
SAMPLES = sample_rows(
    [
        ("S1", "Alpha", "A", "c1", 1, "sample", None),
        ("S2", "Alpha", "A", "c1", 2, "sample", None),
        ("B1", "Alpha", "Alpha-blank", "c1", 1, "field_blank", None),
        ("B2", "Alpha", "Alpha-blank", "c1", 1, "extraction_blank", None),
        ("P1", "Alpha", "mock", "c1", 1, "positive_control", None),
    ]
)
COUNTS = count_rows(
    [
        ("a", "S1", 100),
        ("a", "S2", 5),
        ("a", "B1", 3),
        ("a", "B2", 7),
        ("b", "S1", 50),
        ("b", "S2", 40),
        ("c", "B1", 20),
        ("a", "P1", 500),
    ]
)
TAXONOMY = taxonomy_rows(
    [
        ("a", "Salvelinus_leucomaenis", "species", "Salvelinus", "Salmonidae", "Salmoniformes"),
        ("b", "Rhinogobius_sp", "genus", "Rhinogobius", "Gobiidae", "Gobiiformes"),
        ("c", "Scomber_japonicus", "species", "Scomber", "Scombridae", "Scombriformes"),
    ]
)


def as_records(df: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in df.itertuples(index=False, name=None)]


def test_max_rule_subtracts_the_largest_blank():
    corrected, removed = controls.subtract_controls(COUNTS, SAMPLES, rule="max")
    assert list(corrected.columns) == ["asv_id", "sample", "reads"]
    assert as_records(corrected) == [("a", "S1", 93), ("b", "S1", 50), ("b", "S2", 40)]
    assert list(removed.columns) == [
        "sample",
        "campaign",
        "asv_id",
        "reads_before",
        "removed",
        "reads_after",
        "control",
    ]
    assert as_records(removed) == [
        ("S1", "c1", "a", 100, 7, 93, "B2"),
        ("S2", "c1", "a", 5, 5, 0, "B2"),
    ]


def test_sum_and_mean_rules():
    corrected, removed = controls.subtract_controls(COUNTS, SAMPLES, rule="sum")
    assert as_records(corrected) == [("a", "S1", 90), ("b", "S1", 50), ("b", "S2", 40)]
    assert as_records(removed) == [
        ("S1", "c1", "a", 100, 10, 90, "sum"),
        ("S2", "c1", "a", 5, 5, 0, "sum"),
    ]
    corrected, removed = controls.subtract_controls(COUNTS, SAMPLES, rule="mean")
    # (3 + 7) / 2 = 5
    assert as_records(corrected) == [("a", "S1", 95), ("b", "S1", 50), ("b", "S2", 40)]
    assert as_records(removed)[0] == ("S1", "c1", "a", 100, 5, 95, "mean")


def test_mean_rule_counts_absent_controls_as_zero_and_rounds_up():
    counts = count_rows([("a", "S1", 100), ("a", "B1", 3)])
    corrected, _ = controls.subtract_controls(counts, SAMPLES, rule="mean")
    # 3 reads over two controls: mean 1.5, removed 2
    assert as_records(corrected) == [("a", "S1", 98)]


def test_unknown_rule_is_an_input_error():
    with pytest.raises(InputError, match="median"):
        controls.subtract_controls(COUNTS, SAMPLES, rule="median")


def test_controls_and_positive_controls_are_not_in_the_corrected_table():
    corrected, _ = controls.subtract_controls(COUNTS, SAMPLES)
    assert set(corrected["sample"]) == {"S1", "S2"}
    pos = controls.positive_controls(COUNTS, SAMPLES, TAXONOMY)
    assert list(pos.columns) == ["sample", "taxon", "reads"]
    assert as_records(pos) == [("P1", "Salvelinus_leucomaenis", 500)]


def test_control_with_empty_run_applies_to_every_run():
    samples = sample_rows(
        [
            ("X1", "Alpha", "A", "c2", 1, "sample", "R1"),
            ("X2", "Alpha", "A", "c2", 2, "sample", "R2"),
            ("K0", "Alpha", "blank", "c2", 1, "field_blank", None),
            ("K1", "Alpha", "blank", "c2", 2, "pcr_negative", "R1"),
        ]
    )
    counts = count_rows(
        [("d", "X1", 30), ("d", "X2", 30), ("d", "K0", 4), ("d", "K1", 10), ("e", "X2", 8)]
    )
    corrected, removed = controls.subtract_controls(counts, samples)
    # X1 (run R1): controls K0 and K1, max 10; X2 (run R2): only K0 (4)
    assert as_records(corrected) == [("d", "X1", 20), ("d", "X2", 26), ("e", "X2", 8)]
    assert as_records(removed) == [
        ("X1", "c2", "d", 30, 10, 20, "K1"),
        ("X2", "c2", "d", 30, 4, 26, "K0"),
    ]
    corrected, _ = controls.subtract_controls(counts, samples, rule="sum")
    assert as_records(corrected) == [("d", "X1", 16), ("d", "X2", 26), ("e", "X2", 8)]


def test_controls_of_another_campaign_do_not_apply():
    samples = pd.concat(
        [SAMPLES, sample_rows([("T1", "Alpha", "A", "c3", 1, "sample", None)])],
        ignore_index=True,
    )
    counts = pd.concat([COUNTS, count_rows([("a", "T1", 60)])], ignore_index=True)
    corrected, removed = controls.subtract_controls(counts, samples)
    assert as_records(corrected.loc[corrected["sample"] == "T1"]) == [("a", "T1", 60)]
    assert "T1" not in set(removed["sample"])


def test_counts_of_an_unknown_sample_are_an_input_error():
    counts = pd.concat([COUNTS, count_rows([("a", "nowhere", 3)])], ignore_index=True)
    with pytest.raises(InputError, match="nowhere"):
        controls.subtract_controls(counts, SAMPLES)


def test_control_warnings():
    samples = pd.concat(
        [SAMPLES, sample_rows([("T1", "Alpha", "A", "c3", 1, "sample", None)])],
        ignore_index=True,
    )
    counts = pd.concat([COUNTS, count_rows([("c", "B2", 200)])], ignore_index=True)
    warnings = controls.control_warnings(counts, samples)
    # field totals S1 150, S2 45: median 97.5; B1 has 23 reads, B2 207
    assert len(warnings) == 2
    assert "B2" in warnings[0] and "207" in warnings[0] and "97.5" in warnings[0]
    assert warnings[1] == ("campaign c3 has no negative control: reads were not blank-corrected")
    assert controls.control_warnings(COUNTS, SAMPLES) == []


def test_taxon_only_in_controls_never_becomes_a_detection():
    corrected, _ = controls.subtract_controls(COUNTS, SAMPLES)
    dets = controls.sample_detections(corrected, TAXONOMY, SAMPLES, min_reads=1, min_fraction=0)
    assert "Scomber_japonicus" not in set(dets["taxon"])
    # S2 lost all its reads of "a" to the blanks
    assert as_records(dets[["sample", "taxon", "reads"]]) == [
        ("S1", "Rhinogobius_sp", 50),
        ("S1", "Salvelinus_leucomaenis", 93),
        ("S2", "Rhinogobius_sp", 40),
    ]


THRESHOLD_SAMPLES = sample_rows(
    [
        ("S1", "Alpha", "A", "c1", 1, "sample", None),
        ("S2", "Alpha", "A", "c1", 2, "sample", None),
    ]
)
THRESHOLD_TAXONOMY = taxonomy_rows(
    [
        ("t1", "Oryzias_latipes", "species", "Oryzias", "Adrianichthyidae", "Beloniformes"),
        ("t2", "Zacco_platypus", "species", "Zacco", "Cyprinidae", "Cypriniformes"),
        (
            "t3",
            "Plecoglossus_altivelis",
            "species",
            "Plecoglossus",
            "Plecoglossidae",
            "Osmeriformes",
        ),
        (
            "t3b",
            "Plecoglossus_altivelis",
            "species",
            "Plecoglossus",
            "Plecoglossidae",
            "Osmeriformes",
        ),
        ("u", "unassigned", "unassigned", "", "", ""),
    ]
)


def test_read_and_fraction_thresholds():
    corrected = count_rows(
        [
            # S1: 10,000 reads; t1 exactly at min_reads and at min_fraction, t2 one read below
            ("t1", "S1", 10),
            ("t2", "S1", 9),
            ("t3", "S1", 9000),
            ("t3b", "S1", 481),
            ("u", "S1", 500),
            # S2: 10,001 reads; t1 has 10 reads but a fraction just below 0.001
            ("t1", "S2", 10),
            ("t3", "S2", 9991),
        ]
    )
    dets = controls.sample_detections(corrected, THRESHOLD_TAXONOMY, THRESHOLD_SAMPLES)
    assert list(dets.columns) == [
        "sample",
        "basin",
        "site",
        "campaign",
        "replicate",
        "taxon",
        "rank",
        "species",
        "genus",
        "family",
        "order",
        "common_name",
        "reads",
        "fraction",
        "n_asvs",
    ]
    assert as_records(dets[["sample", "taxon", "reads", "n_asvs"]]) == [
        ("S1", "Oryzias_latipes", 10, 1),
        ("S1", "Plecoglossus_altivelis", 9481, 2),
        ("S2", "Plecoglossus_altivelis", 9991, 1),
    ]
    assert dets["fraction"].tolist() == pytest.approx([0.001, 0.9481, 9991 / 10001])
    assert "unassigned" not in set(dets["taxon"])
    # min_reads 9 keeps t2 in S1 (9 reads = 0.0009 < 0.001 is still dropped by the fraction)
    dets9 = controls.sample_detections(
        corrected, THRESHOLD_TAXONOMY, THRESHOLD_SAMPLES, min_reads=9, min_fraction=0.0009
    )
    assert "Zacco_platypus" in set(dets9.loc[dets9["sample"] == "S1", "taxon"])


def test_unassigned_reads_summary():
    corrected = count_rows([("t1", "S1", 10), ("t3", "S1", 490), ("u", "S1", 500)])
    summary = controls.unassigned_reads(corrected, THRESHOLD_TAXONOMY, THRESHOLD_SAMPLES)
    assert list(summary.columns) == [
        "sample",
        "campaign",
        "total_reads",
        "unassigned_reads",
        "unassigned_asvs",
        "unassigned_fraction",
    ]
    assert as_records(summary.iloc[:, :5]) == [
        ("S1", "c1", 1000, 500, 1),
        ("S2", "c1", 0, 0, 0),
    ]
    assert summary["unassigned_fraction"].iloc[0] == 0.5
    assert np.isnan(summary["unassigned_fraction"].iloc[1])


def test_asv_missing_from_the_taxonomy_is_an_input_error():
    corrected = count_rows([("zz", "S1", 10)])
    with pytest.raises(InputError, match="zz"):
        controls.sample_detections(corrected, THRESHOLD_TAXONOMY, THRESHOLD_SAMPLES)


# replicate support: site A has two replicates, site B two (B2 without any detection)
SUPPORT_SAMPLES = sample_rows(
    [
        ("A1", "Alpha", "A", "c1", 1, "sample", None),
        ("A2", "Alpha", "A", "c1", 2, "sample", None),
        ("B1", "Alpha", "B", "c1", 1, "sample", None),
        ("B2", "Alpha", "B", "c1", 2, "sample", None),
        ("K", "Alpha", "blank", "c1", 1, "field_blank", None),
    ]
)


def sample_dets() -> pd.DataFrame:
    rows = [
        ("A1", "Alpha", "A", "c1", 1, "Salvelinus_leucomaenis", "species", "Salvelinus", 120),
        ("A2", "Alpha", "A", "c1", 2, "Salvelinus_leucomaenis", "species", "Salvelinus", 80),
        ("A1", "Alpha", "A", "c1", 1, "Rhinogobius_sp", "genus", "Rhinogobius", 30),
        ("B1", "Alpha", "B", "c1", 1, "Rhinogobius_sp", "genus", "Rhinogobius", 45),
    ]
    df = pd.DataFrame(
        rows,
        columns=[
            "sample",
            "basin",
            "site",
            "campaign",
            "replicate",
            "taxon",
            "rank",
            "genus",
            "reads",
        ],
    )
    df["species"] = np.where(df["rank"] == "species", df["taxon"], "")
    df["family"] = df["genus"].map({"Salvelinus": "Salmonidae", "Rhinogobius": "Gobiidae"})
    df["order"] = df["genus"].map({"Salvelinus": "Salmoniformes", "Rhinogobius": "Gobiiformes"})
    df["common_name"] = ""
    df["fraction"] = 0.5
    df["n_asvs"] = 1
    return df


def test_replicate_support_with_one_and_two_replicates_required():
    support = controls.replicate_support(sample_dets(), SUPPORT_SAMPLES, min_replicates=1)
    assert list(support.columns) == [
        "basin",
        "site",
        "campaign",
        "taxon",
        "rank",
        "genus",
        "family",
        "order",
        "common_name",
        "positive_replicates",
        "total_replicates",
        "support",
        "reads",
        "detected",
    ]
    got = as_records(support[["site", "taxon", "support", "reads", "detected"]])
    assert got == [
        ("A", "Rhinogobius_sp", "1/2", 30, True),
        ("A", "Salvelinus_leucomaenis", "2/2", 200, True),
        ("B", "Rhinogobius_sp", "1/2", 45, True),
    ]
    support2 = controls.replicate_support(sample_dets(), SUPPORT_SAMPLES, min_replicates=2)
    assert support2["detected"].tolist() == [False, True, False]
    assert support2["support"].tolist() == ["1/2", "2/2", "1/2"]


def test_detections_table_keeps_rows_with_replicate_support():
    dets = sample_dets()
    table = controls.detections_table(
        dets, controls.replicate_support(dets, SUPPORT_SAMPLES, min_replicates=2), ["c1"]
    )
    assert list(table.columns)[:12] == [
        "sample",
        "basin",
        "site",
        "campaign",
        "replicate",
        "taxon",
        "rank",
        "genus",
        "family",
        "order",
        "reads",
        "common_name",
    ]
    assert as_records(table[["sample", "taxon", "reads", "support"]]) == [
        ("A1", "Salvelinus_leucomaenis", 120, "2/2"),
        ("A2", "Salvelinus_leucomaenis", 80, "2/2"),
    ]
    table1 = controls.detections_table(
        dets, controls.replicate_support(dets, SUPPORT_SAMPLES, min_replicates=1), ["c1"]
    )
    # sorted by campaign, basin, site, replicate, order, family, taxon
    assert as_records(table1[["sample", "taxon"]]) == [
        ("A1", "Rhinogobius_sp"),
        ("A1", "Salvelinus_leucomaenis"),
        ("A2", "Salvelinus_leucomaenis"),
        ("B1", "Rhinogobius_sp"),
    ]


def test_detections_table_sorts_campaigns_in_the_given_order():
    dets = pd.concat([sample_dets(), sample_dets().assign(campaign="c0")], ignore_index=True)
    samples = pd.concat(
        [
            SUPPORT_SAMPLES,
            SUPPORT_SAMPLES.assign(sample=SUPPORT_SAMPLES["sample"] + "_0", campaign="c0"),
        ],
        ignore_index=True,
    )
    dets.loc[dets["campaign"] == "c0", "sample"] += "_0"
    support = controls.replicate_support(dets, samples)
    table = controls.detections_table(dets, support, ["c1", "c0"])
    assert table["campaign"].tolist() == ["c1"] * 4 + ["c0"] * 4


def test_sample_sheet_problems_are_input_errors():
    bad = SAMPLES.assign(type=["sample", "sample", "blank", "field_blank", "positive_control"])
    with pytest.raises(InputError, match="'blank'"):
        controls.subtract_controls(COUNTS, bad)
    with pytest.raises(InputError, match="reads"):
        controls.subtract_controls(COUNTS.drop(columns="reads"), SAMPLES)
